// A problem with what the user asked time travel for (a time, a predicate, a memory range, a
// trace it cannot replay): one line naming what, where and what to do. The CLI turns it into a
// usage error (exit 2); library callers catch it by class.

export class TravelError extends Error {
  override readonly name = 'TravelError';
}
