import fs from 'node:fs';
import os from 'node:os';

/** What lowerThreadPriority did: the thread's id and its niceness, or nulls where it cannot (not Linux). */
export interface ThreadPriority {
  tid: number | null;
  nice: number | null;
}

/**
 * Lowers the OS scheduling priority of the calling thread only (a worker thread doing back-office
 * reads), so that on a busy machine the main thread's requests (villagers') get the CPU first. On
 * Linux each thread is a task of its own: its id is read from /proc/thread-self, and
 * setpriority(PRIO_PROCESS, tid) changes that task alone. Elsewhere (or when refused) nothing
 * changes and nothing fails.
 */
export function lowerThreadPriority(nice: number): ThreadPriority {
  try {
    const tid = Number(/\/task\/(\d+)$/.exec(fs.readlinkSync('/proc/thread-self'))?.[1]);
    if (!Number.isInteger(tid) || tid <= 0) return { tid: null, nice: null };
    os.setPriority(tid, Math.max(os.getPriority(tid), nice));
    return { tid, nice: os.getPriority(tid) };
  } catch {
    return { tid: null, nice: null };
  }
}

/** The niceness of a thread of this process as the kernel reports it (Linux; null elsewhere). */
export function threadNice(tid: number): number | null {
  try {
    // /proc/<pid>/task/<tid>/stat: the command is in parentheses and may hold spaces; nice is the
    // 19th field, the 17th after the closing parenthesis.
    const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const nice = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    return Number.isInteger(nice) ? nice : null;
  } catch {
    return null;
  }
}
