/** The shared conformance suite against the simulator, through the gateway client, over HTTP and HTTPS. */
import { simulatorHarness } from './harness.js';
import { gatewayConformance } from './suite.js';

gatewayConformance('simulator over HTTP, form bodies', () => simulatorHarness());
gatewayConformance('simulator over HTTP, JSON bodies', () => simulatorHarness({}, { bodyFormat: 'json' }));
gatewayConformance('simulator over HTTPS (self-signed, TLS ≥ 1.2)', () => simulatorHarness({ tls: true }));
