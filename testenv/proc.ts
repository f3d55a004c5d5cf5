// What the kernel says of a process (Linux /proc): resident memory, its peak and split, and CPU time.
import { readFileSync } from "node:fs";

export interface ProcessStats {
  peakRssMiB: number;
  rssMiB: number;
  /** RSS split: anonymous (heaps, malloc) and file-backed (the binary's pages touched). */
  rssAnonMiB: number;
  rssFileMiB: number;
  cpuSeconds: number;
}

export function processStats(pid: number): ProcessStats {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const mib = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return {
    peakRssMiB: mib("VmHWM"),
    rssMiB: mib("VmRSS"),
    rssAnonMiB: mib("RssAnon"),
    rssFileMiB: mib("RssFile"),
    cpuSeconds: ticks / 100,
  };
}
