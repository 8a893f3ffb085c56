import { describe, expect, it } from 'vitest';
import { createLimiter } from '../../src/images.js';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('createLimiter', () => {
  it('runs at most `slots` tasks at once, the rest in order, even when new tasks arrive as one finishes', async () => {
    const limit = createLimiter(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const task = (i: number) => async () => {
      running++;
      peak = Math.max(peak, running);
      await tick();
      order.push(i);
      running--;
      if (i === 0) void limit.run(task(99)); // arrives exactly while a slot is handed over
      return i;
    };
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => limit.run(task(i))));
    await new Promise((r) => setTimeout(r, 20));
    expect(results).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(peak).toBe(2);
    expect(limit.peak).toBe(2);
    expect(limit.active).toBe(0);
    expect(limit.waiting).toBe(0);
  });

  it('a task that throws gives its slot back', async () => {
    const limit = createLimiter(1);
    await expect(
      limit.run(async () => {
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    await expect(limit.run(async () => 'yes')).resolves.toBe('yes');
    expect(limit.active).toBe(0);
  });
});
