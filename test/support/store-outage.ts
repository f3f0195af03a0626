/**
 * A store that fails like a MongoDB outage while it is "down": every repository call
 * rejects with an error as a real outage surfaces through mongoose, in turn: the driver's
 * `MongoNetworkError` and `MongoServerSelectionError`, and mongoose's own `MongooseError`
 * when an operation waited for a connection in vain ("buffering timed out").
 */
import type { Store } from '../../src/store/store.js';

export interface OutageStore {
  store: Store;
  setDown(down: boolean): void;
  /** Calls refused while down. */
  refused(): number;
}

export function withOutage(inner: Store): OutageStore {
  let down = false;
  let refused = 0;
  const kinds = [
    ['MongoServerSelectionError', 'Server selection timed out after 30000 ms'],
    ['MongoNetworkError', 'connection 3 to 127.0.0.1:27017 closed'],
    ['MongooseError', 'Operation `touches.find()` buffering timed out after 10000ms'],
  ] as const;
  const fail = (): Promise<never> => {
    const [name, message] = kinds[refused++ % kinds.length] ?? kinds[0];
    const err = new Error(message);
    err.name = name;
    return Promise.reject(err);
  };
  const wrap = (o: object): object =>
    new Proxy(o, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v === 'function') {
          if (prop === 'close') return (v as () => Promise<void>).bind(target);
          return (...args: unknown[]) => (down ? fail() : (v as (...a: unknown[]) => unknown).apply(target, args));
        }
        return v !== null && typeof v === 'object' ? wrap(v) : v;
      },
    });
  return { store: wrap(inner) as Store, setDown: (d) => void (down = d), refused: () => refused };
}
