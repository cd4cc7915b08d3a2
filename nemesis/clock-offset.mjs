// Preloaded (`node --import`) into a worker process to play a host whose clock is off:
// `Date.now()`, `new Date()` and `Date()` are shifted by NEMESIS_CLOCK_OFFSET_MS (either sign).
// Monotonic timers (setTimeout, performance.now) are left alone, as on a real host with a wrong
// wall clock.
const offset = Number(process.env.NEMESIS_CLOCK_OFFSET_MS ?? 0);

if (Number.isFinite(offset) && offset !== 0) {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  const now = () => realNow() + offset;
  RealDate.now = now;
  globalThis.Date = new Proxy(RealDate, {
    construct(target, args, newTarget) {
      return Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget);
    },
    apply() {
      return new RealDate(now()).toString();
    },
  });
}
