/**
 * A store that counts every repository call by name (`touches.insertEach`,
 * `community.optOuts.has`, …), for the pipeline benchmark and tests that hold the hot path
 * to a number of round trips. Each call of an adapter method is one round trip to MongoDB
 * (the adapters send one operation per method on the paths counted here), so wrap the adapter
 * itself and put any batching wrapper on top: what is counted is what reaches the database.
 */
import type { Store } from './store.js';

/** A store whose calls are counted, and the counts. */
export interface CountedStore<S extends Store = Store> {
  store: S;
  /** Calls per method name since the last reset, e.g. `{ 'touches.insertEach': 12 }`. */
  counts(): Record<string, number>;
  /** Every call since the last reset. */
  total(): number;
  reset(): void;
}

/** Wraps `store` so each call of any of its methods (repositories nested any depth) is counted. */
export function countStoreCalls<S extends Store>(store: S): CountedStore<S> {
  let counts = new Map<string, number>();
  const proxies = new WeakMap<object, object>();
  const wrap = <T extends object>(target: T, path: string): T => {
    const cached = proxies.get(target);
    if (cached) return cached as T;
    const counted = new Map<string, { fn: unknown; wrapped: unknown }>();
    const proxy = new Proxy(target, {
      get(t, key, receiver) {
        const value = Reflect.get(t, key, receiver) as unknown;
        if (typeof key !== 'string') return value;
        const name = path ? `${path}.${key}` : key;
        if (typeof value === 'function') {
          const known = counted.get(key);
          if (known?.fn === value) return known.wrapped;
          const wrapped = (...args: unknown[]): unknown => {
            counts.set(name, (counts.get(name) ?? 0) + 1);
            return (value as (...a: unknown[]) => unknown).apply(t, args);
          };
          counted.set(key, { fn: value, wrapped });
          return wrapped;
        }
        if (value !== null && typeof value === 'object') return wrap(value, name);
        return value;
      },
    });
    proxies.set(target, proxy);
    return proxy;
  };
  return {
    store: wrap(store, ''),
    counts: () => Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    reset: () => {
      counts = new Map();
    },
  };
}
