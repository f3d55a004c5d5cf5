// node bench/mappings.ts <pid | smaps file> [later smaps file]: a process's resident memory by what holds it, from
// /proc/<pid>/smaps (copy the file to compare two moments): V8's heap pages, V8's code range, glibc's main heap and
// its thread arenas, file-backed pages, and other anonymous memory. With two files, the change of each.
// The kinds come from the shape of the mappings of Node's x86-64 glibc builds: a glibc thread arena is a heap that
// starts on a 64 MiB boundary near the mmap base; V8 (without pointer compression) maps its heap pages at random
// hints far below it and its code range as the one writable and executable mapping. Elsewhere, read the totals only.
// What glibc holds free inside its heaps (gdb -p <pid> -batch -ex 'call (int)malloc_trim(0)' returns it) is in
// BENCHMARKS.md, section 8.
import { readFileSync } from "node:fs";

interface Mapping {
  start: bigint;
  perm: string;
  name: string;
  rssKiB: number;
}

const ARENA = 64n << 20n;
const MMAP_BASE = 0x7f0000000000n;

function mappings(smaps: string): Mapping[] {
  const out: Mapping[] = [];
  for (const line of smaps.split("\n")) {
    const m = line.match(/^([0-9a-f]+)-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$/);
    if (m) out.push({ start: BigInt(`0x${m[1]}`), perm: m[2] as string, name: m[3] as string, rssKiB: 0 });
    const rss = line.match(/^Rss:\s+(\d+) kB/);
    const last = out.at(-1);
    if (rss && last) last.rssKiB = Number(rss[1]);
  }
  return out;
}

/** Resident MiB by kind of mapping. */
export function residentByKind(smaps: string): Map<string, number> {
  const maps = mappings(smaps);
  const arenas = maps
    .filter((m) => !m.name && m.start >= MMAP_BASE && m.start % ARENA === 0n)
    .map((m) => m.start);
  const kind = (m: Mapping): string => {
    if (m.name.startsWith("/")) return "file-backed";
    if (m.name === "[heap]") return "malloc main heap";
    if (m.name) return `other (${m.name})`;
    if (m.perm === "rwxp") return "V8 code range";
    if (arenas.some((a) => m.start >= a && m.start < a + ARENA)) return "malloc thread arenas";
    if (m.start < MMAP_BASE) return "V8 heap pages";
    return "other anonymous";
  };
  const byKind = new Map<string, number>();
  for (const m of maps) byKind.set(kind(m), (byKind.get(kind(m)) ?? 0) + m.rssKiB / 1024);
  return byKind;
}

function read(arg: string): string {
  return readFileSync(/^\d+$/.test(arg) ? `/proc/${arg}/smaps` : arg, "utf8");
}

if (import.meta.main) {
  const [first, later] = process.argv.slice(2);
  if (!first) {
    console.error("usage: node bench/mappings.ts <pid | smaps file> [later smaps file]");
    process.exit(2);
  }
  const a = residentByKind(read(first));
  const b = later ? residentByKind(read(later)) : undefined;
  const mib = (n = 0) => n.toFixed(2).padStart(9);
  for (const k of new Set([...a.keys(), ...(b?.keys() ?? [])])) {
    const x = a.get(k) ?? 0;
    const y = b?.get(k) ?? 0;
    if (Math.max(x, y) >= 0.05) console.log(k.padEnd(28), mib(x), b ? `${mib(y)} ${mib(y - x)}` : "");
  }
}
