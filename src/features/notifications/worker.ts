import type { Logger } from 'pino';
import type { CaseEventBus, CaseEventType } from '../cases/events.js';
import type { NotificationsService } from './service.js';

/** Events that may call for a notification: the worker is woken by them at once. */
const WAKING: CaseEventType[] = ['case.filed', 'case.replied', 'case.resolved', 'case.rejected', 'case.extended', 'case.reopened', 'case.rated'];

/**
 * Delivers notifications in the server: every `everyMs`, and at once after a case event is
 * committed. The cursor over case_events makes it correct without the wake-ups (another process,
 * a crash, a restart); they only make it quick.
 */
export function startNotificationWorker(
  service: NotificationsService,
  opts: { events?: CaseEventBus; logger?: Logger; everyMs?: number; stopWaitMs?: number },
) {
  let stopped = false;
  const round = () => {
    if (stopped) return Promise.resolve();
    return service
      .deliverDue()
      .then((r) => {
        if (r.planned || r.sent || r.dead) opts.logger?.info(r, 'notifications delivered');
      })
      .catch((err: unknown) => opts.logger?.error({ err }, 'notifications failed'));
  };
  const timer = setInterval(() => void round(), opts.everyMs ?? 15_000);
  timer.unref();
  const unsubscribe = WAKING.map((type) => opts.events?.subscribe(type, () => void setImmediate(() => void round())));
  void round();
  return {
    /** Stops the timer and waits (a little) for a round under way. */
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(timer);
      unsubscribe.forEach((u) => u?.());
      // A round under way gets a few seconds; a row it claimed and did not finish is taken again
      // after its lease, so stopping never loses a message.
      await Promise.race([service.settled().catch(() => undefined), new Promise((r) => setTimeout(r, opts.stopWaitMs ?? 4000).unref())]);
    },
  };
}
