// The emulator's call log: the newest `capacity` calls in a ring buffer, each with a sequence number so that a
// reader can ask for only what is new since its last read. Memory stays bounded however long the run.

export interface CallRecord {
  seq: number;
  /** When the request arrived and when its answer was sent (ISO 8601), and the difference in ms. */
  time: string;
  endTime: string;
  latencyMs: number;
  action: string;
  /** The listener the call is about; for a call naming a RuleId, the rule's listener. */
  listenerId?: string;
  /** The rule the call names (BindRuleRealServers, DescribeRuleRealServers, DeleteRule). */
  ruleId?: string;
  /** "Success" or the error code returned; "HTTP <status>" or "Hang" for injected transport faults. */
  code: string;
  requestId: string;
  /** Who called: the SDK's X-TC-RequestClient, or "-". */
  client: string;
  /** The caller's User-Agent, or "-" (the operator sends gaap-operator/<identity>). */
  userAgent: string;
  /** For binds (listener and rule): the set requested, as "ip:port" strings, so tests can check every set ever sent. */
  bindSet?: string[];
  /** Set when a fault rule shaped this call (an injected error, hang or delay). */
  injected?: true;
}

export class CallLog {
  readonly capacity: number;
  private readonly ring: Array<CallRecord | undefined>;
  private next = 1;

  constructor(capacity: number) {
    if (!(capacity >= 1)) throw new RangeError("call log capacity must be at least 1");
    this.capacity = capacity;
    this.ring = new Array(capacity);
  }

  add(record: Omit<CallRecord, "seq">): CallRecord {
    const full = { seq: this.next++, ...record };
    this.ring[(full.seq - 1) % this.capacity] = full;
    return full;
  }

  /** Records with seq > since, oldest first, optionally filtered. */
  list(filter: { since?: number; action?: string; listenerId?: string; ruleId?: string } = {}): CallRecord[] {
    const first = Math.max(1, this.next - this.capacity, (filter.since ?? 0) + 1);
    const out: CallRecord[] = [];
    for (let seq = first; seq < this.next; seq++) {
      const r = this.ring[(seq - 1) % this.capacity];
      if (!r) continue;
      if (filter.action && r.action !== filter.action) continue;
      if (filter.listenerId && r.listenerId !== filter.listenerId) continue;
      if (filter.ruleId && r.ruleId !== filter.ruleId) continue;
      out.push(r);
    }
    return out;
  }

  get lastSeq(): number {
    return this.next - 1;
  }
}
