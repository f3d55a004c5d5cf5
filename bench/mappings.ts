// node bench/mappings.ts <pid | smaps file> [later smaps file]: a process's resident memory by what holds it, from
// /proc/<pid>/smaps (copy the file to compare two moments): V8's heap pages, V8's code range, glibc's main heap and
// its thread arenas, file-backed pages, and other anonymous memory. With two files, the change of each.
// The kinds come from the shape of the mappings of Node's x86-64 glibc builds: a glibc thread arena is a heap of
// 64 MiB that starts on a 64 MiB boundary, read-write at its start and reserved (---p) after; V8 (without pointer
// compression) maps its heap pages at hints below 2^46 and its code range writable and executable. Elsewhere, read
// the total only. What glibc holds free inside its heaps (gdb -p <pid> -batch -ex 'call (int)malloc_trim(0)'
// returns it) is in BENCHMARKS.md, section 8.
import { readFileSync } from "node:fs";

interface Mapping {
  start: bigint;
  end: bigint;
  perm: string;
  name: string;
  rssKiB: number;
}

/** glibc's HEAP_MAX_SIZE on 64-bit: the size and alignment of every thread arena's heap. */
const GLIBC_HEAP_SIZE = 64n << 20n;
/** V8's x64 mmap hints stay below this; glibc's mmap area is far above it. */
const V8_HINT_CEILING = 1n << 46n;

function mappings(smaps: string): Mapping[] {
  const out: Mapping[] = [];
  for (const line of smaps.split("\n")) {
    const m = line.match(/^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/);
    if (m)
      out.push({
        start: BigInt(`0x${m[1]}`),
        end: BigInt(`0x${m[2]}`),
        perm: m[3] as string,
        name: m[4] as string,
        rssKiB: 0,
      });
    const rss = line.match(/^Rss:\s+(\d+) kB/);
    const last = out.at(-1);
    if (rss && last) last.rssKiB = Number(rss[1]);
  }
  return out;
}

/** Where glibc's thread heaps start: an aligned read-write mapping that fills its 64 MiB or is followed by ---p to the end. */
function arenaStarts(maps: Mapping[]): bigint[] {
  return maps.flatMap((m, i) => {
    const end = m.start + GLIBC_HEAP_SIZE;
    const next = maps[i + 1];
    const shaped =
      m.end === end || (m.end < end && next?.start === m.end && next.perm === "---p" && next.end === end);
    return !m.name &&
      m.perm === "rw-p" &&
      m.start >= V8_HINT_CEILING &&
      m.start % GLIBC_HEAP_SIZE === 0n &&
      shaped
      ? [m.start]
      : [];
  });
}

/** Resident MiB by kind of mapping, and the total. */
export function residentByKind(smaps: string): Map<string, number> {
  const maps = mappings(smaps);
  const arenas = arenaStarts(maps);
  const kind = (m: Mapping): string => {
    if (m.name.startsWith("/")) return "file-backed";
    if (m.name === "[heap]") return "malloc main heap";
    if (m.name) return `other (${m.name})`;
    if (m.perm === "rwxp") return "V8 code range";
    if (arenas.some((a) => m.start >= a && m.start < a + GLIBC_HEAP_SIZE)) return "malloc thread arenas";
    if (m.start < V8_HINT_CEILING) return "V8 heap pages";
    return "other anonymous";
  };
  const byKind = new Map<string, number>();
  for (const m of maps) {
    const k = kind(m);
    byKind.set(k, (byKind.get(k) ?? 0) + m.rssKiB / 1024);
  }
  byKind.set("total", maps.reduce((sum, m) => sum + m.rssKiB, 0) / 1024);
  return byKind;
}

function smapsOf(arg: string): string {
  return readFileSync(/^\d+$/.test(arg) ? `/proc/${arg}/smaps` : arg, "utf8");
}

if (import.meta.main) {
  const [first, later] = process.argv.slice(2);
  if (!first) {
    console.error("usage: node bench/mappings.ts <pid | smaps file> [later smaps file]");
    process.exit(2);
  }
  const a = residentByKind(smapsOf(first));
  const b = later ? residentByKind(smapsOf(later)) : undefined;
  const mib = (n = 0) => n.toFixed(2).padStart(9);
  for (const k of new Set([...a.keys(), ...(b?.keys() ?? [])])) {
    const x = a.get(k) ?? 0;
    const y = b?.get(k) ?? 0;
    if (Math.max(x, y) >= 0.05) console.log(k.padEnd(28), mib(x), b ? `${mib(y)} ${mib(y - x)}` : "");
  }
}
