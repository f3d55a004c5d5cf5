// node bench/heap.ts <file.heapsnapshot> [top]: where a V8 heap snapshot's memory is, by kind of object: the self
// size of every node summed by its constructor (objects), or by its node type (strings, code, arrays, ...), and the
// total. Retained sizes would need the dominator tree; self sizes by kind already say which objects dominate.
// node bench/heap.ts <before> <after> [top]: what grew between two snapshots, by the same kinds (the soak's diff).
import { readFileSync } from "node:fs";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface HeapSummary {
  totalBytes: number;
  nodes: number;
  byKind: Map<string, { bytes: number; count: number }>;
}

export function summarize(file: string): HeapSummary {
  const snap = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const at = {
    type: fields.indexOf("type"),
    name: fields.indexOf("name"),
    size: fields.indexOf("self_size"),
  };
  const byKind = new Map<string, { bytes: number; count: number }>();
  let totalBytes = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + at.type] as number] as string;
    const size = snap.nodes[i + at.size] as number;
    const kind =
      type === "object" || type === "closure"
        ? `${type} ${snap.strings[snap.nodes[i + at.name] as number]}`
        : `(${type})`;
    const k = byKind.get(kind) ?? { bytes: 0, count: 0 };
    k.bytes += size;
    k.count++;
    byKind.set(kind, k);
    totalBytes += size;
  }
  return { totalBytes, nodes: snap.nodes.length / width, byKind };
}

/** The kinds that grew most from `before` to `after`, by bytes. */
export function growers(
  before: HeapSummary,
  after: HeapSummary,
  top: number,
): Array<{ kind: string; bytes: number; count: number }> {
  return [...after.byKind]
    .map(([kind, a]) => {
      const b = before.byKind.get(kind) ?? { bytes: 0, count: 0 };
      return { kind, bytes: a.bytes - b.bytes, count: a.count - b.count };
    })
    .sort((x, y) => y.bytes - x.bytes)
    .slice(0, top);
}

const mib = (b: number) => (b / 1048576).toFixed(2);

if (import.meta.main) {
  const [first, second, third] = process.argv.slice(2);
  if (!first) {
    console.error("usage: node bench/heap.ts <file.heapsnapshot> [top] | <before> <after> [top]");
    process.exit(2);
  }
  if (second?.endsWith(".heapsnapshot")) {
    const [a, b] = [summarize(first), summarize(second)];
    console.log(`total self size ${mib(a.totalBytes)} -> ${mib(b.totalBytes)} MiB`);
    for (const g of growers(a, b, Number(third ?? 15)))
      console.log(`${mib(g.bytes).padStart(8)} MiB ${String(g.count).padStart(9)}  ${g.kind}`);
  } else {
    const s = summarize(first);
    console.log(`total self size ${mib(s.totalBytes)} MiB in ${s.nodes} nodes`);
    for (const [kind, k] of [...s.byKind]
      .sort((x, y) => y[1].bytes - x[1].bytes)
      .slice(0, Number(second ?? 25)))
      console.log(`${mib(k.bytes).padStart(8)} MiB ${String(k.count).padStart(9)}  ${kind}`);
  }
}
