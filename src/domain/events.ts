/**
 * An in-process bus for what happened in the domain (a case filed, a case resolved, …). Use cases
 * publish once their transaction has committed; notifications and the Open311 adapter subscribe.
 * A subscriber that fails is logged and never breaks the request that published, nor the other
 * subscribers.
 */
export type EventHandler<E> = (event: E) => void | Promise<void>;

export interface EventBus<M extends object> {
  /** Calls `handler` for every event of this type; returns a function that stops it. */
  subscribe<K extends keyof M & string>(type: K, handler: EventHandler<M[K]>): () => void;
  /** Delivers to the type's subscribers in the order they subscribed. Refused inside an open transaction. */
  publish<K extends keyof M & string>(type: K, event: M[K]): void;
}

export interface EventBusOptions {
  /** told of a subscriber that threw or whose promise was rejected */
  onError: (err: unknown, type: string) => void;
  /** true while a database transaction is open: nothing is published that could still be rolled back */
  inTransaction?: () => boolean;
}

export function createEventBus<M extends object>(opts: EventBusOptions): EventBus<M> {
  const handlers = new Map<string, Array<EventHandler<never>>>();
  return {
    subscribe(type, handler) {
      const list = handlers.get(type) ?? [];
      list.push(handler as EventHandler<never>);
      handlers.set(type, list);
      return () => {
        const at = list.indexOf(handler as EventHandler<never>);
        if (at >= 0) list.splice(at, 1);
      };
    },
    publish(type, event) {
      if (opts.inTransaction?.()) throw new Error(`${type} published before its transaction committed`);
      // A copy: a subscriber that unsubscribes while being called does not skip the next one.
      for (const handler of [...(handlers.get(type) ?? [])]) {
        try {
          const done = (handler as EventHandler<M[typeof type]>)(event);
          if (done && typeof (done as Promise<void>).catch === 'function') (done as Promise<void>).catch((err: unknown) => opts.onError(err, type));
        } catch (err) {
          opts.onError(err, type);
        }
      }
    },
  };
}
