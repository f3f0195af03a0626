/**
 * A store that fails like a MongoDB outage while it is "down": every repository call
 * rejects with an error named as the MongoDB driver names them (`MongoNetworkError`,
 * `MongoServerSelectionError`), as a real outage surfaces through mongoose.
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
  const fail = (): Promise<never> => {
    refused++;
    const err = new Error(refused % 2 === 0 ? 'connection 3 to 127.0.0.1:27017 closed' : 'Server selection timed out after 30000 ms');
    err.name = refused % 2 === 0 ? 'MongoNetworkError' : 'MongoServerSelectionError';
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
