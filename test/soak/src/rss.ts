/**
 * Peak resident memory of the broker process, sampled from /proc/<pid>/status. VmHWM is the
 * kernel's own high-water mark of the process, so a spike between two samples is not missed; a
 * restarted broker is a new process, which the sampler follows through `pid()`.
 */
import { readFileSync } from 'node:fs';

/** The larger of VmHWM and VmRSS of a process, in bytes; 0 when it is gone or /proc is not there. */
export function peakRssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    const field = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
    return Math.max(field('VmHWM'), field('VmRSS'));
  } catch {
    return 0;
  }
}

export class RssSampler {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;

  /** Samples every `intervalMs` whichever process `pid()` names right now (undefined: none running). */
  constructor(private readonly pid: () => number | undefined, intervalMs = 250) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample(): void {
    const pid = this.pid();
    if (pid !== undefined) this.peak = Math.max(this.peak, peakRssOf(pid));
  }

  /** Stops sampling and returns the peak seen, in bytes. */
  stop(): number {
    this.sample();
    clearInterval(this.timer);
    return this.peak;
  }
}
