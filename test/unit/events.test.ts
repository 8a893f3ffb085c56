import { describe, expect, it } from 'vitest';
import { createEventBus } from '../../src/domain/events.js';

type Events = { 'thing.done': { id: number }; 'thing.undone': { id: number } };

const busWithLog = (inTransaction?: () => boolean) => {
  const failures: Array<{ type: string; message: string }> = [];
  const bus = createEventBus<Events>({ onError: (err, type) => failures.push({ type, message: (err as Error).message }), inTransaction });
  return { bus, failures };
};

describe('the event bus', () => {
  it('delivers an event to each of its type’s subscribers, in the order they subscribed, and to no other type', () => {
    const { bus } = busWithLog();
    const seen: string[] = [];
    bus.subscribe('thing.done', (e) => void seen.push(`first ${e.id}`));
    bus.subscribe('thing.done', (e) => void seen.push(`second ${e.id}`));
    bus.subscribe('thing.undone', (e) => void seen.push(`undone ${e.id}`));
    bus.publish('thing.done', { id: 7 });
    expect(seen).toEqual(['first 7', 'second 7']);
  });

  it('when a subscriber throws, the failure is logged and the later subscribers still get the event', () => {
    const { bus, failures } = busWithLog();
    const seen: number[] = [];
    bus.subscribe('thing.done', () => {
      throw new Error('mail server down');
    });
    bus.subscribe('thing.done', (e) => void seen.push(e.id));
    expect(() => bus.publish('thing.done', { id: 1 })).not.toThrow();
    expect(seen).toEqual([1]);
    expect(failures).toEqual([{ type: 'thing.done', message: 'mail server down' }]);
  });

  it('when an asynchronous subscriber fails, the rejection is logged rather than left unhandled', async () => {
    const { bus, failures } = busWithLog();
    bus.subscribe('thing.done', async () => {
      throw new Error('webhook refused');
    });
    bus.publish('thing.done', { id: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(failures).toEqual([{ type: 'thing.done', message: 'webhook refused' }]);
  });

  it('a subscriber that unsubscribes hears nothing more', () => {
    const { bus } = busWithLog();
    const seen: number[] = [];
    const stop = bus.subscribe('thing.done', (e) => void seen.push(e.id));
    bus.publish('thing.done', { id: 1 });
    stop();
    bus.publish('thing.done', { id: 2 });
    expect(seen).toEqual([1]);
  });

  it('refuses to publish while a transaction is open: what could still be rolled back is not told', () => {
    let open = true;
    const { bus } = busWithLog(() => open);
    const seen: number[] = [];
    bus.subscribe('thing.done', (e) => void seen.push(e.id));
    expect(() => bus.publish('thing.done', { id: 1 })).toThrow(/before its transaction committed/);
    open = false;
    bus.publish('thing.done', { id: 2 });
    expect(seen).toEqual([2]);
  });
});
