// Child processes of the test control plane: started in their own process groups, logged to files, recorded in
// a pid file, and stopped by process id. A detached reaper kills them and removes the run's directory if this
// process dies without stopping them (SIGKILL, a crashed test run), so nothing is left behind.
import { type ChildProcess, spawn } from "node:child_process";
import { openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const REAPER = `
parent="$1"; dir="$2"
while kill -0 "$parent" 2>/dev/null; do sleep 0.5; done
if [ -f "$dir/pids" ]; then
  for p in $(cat "$dir/pids"); do kill -TERM -- "-$p" 2>/dev/null; kill -TERM "$p" 2>/dev/null; done
  sleep 3
  for p in $(cat "$dir/pids"); do kill -KILL -- "-$p" 2>/dev/null; kill -KILL "$p" 2>/dev/null; done
fi
rm -rf "$dir"
`;

export const RUN_DIR_PREFIX = "gaap-cp-";

/** The processes of one run, and the directory they live in. */
export class ProcessGroup {
  readonly dir: string;
  private readonly live = new Map<string, ManagedProcess>();
  private readonly reaper: ChildProcess;

  constructor(dir: string) {
    this.dir = dir;
    writeFileSync(join(dir, "owner"), String(process.pid));
    this.reaper = spawn("bash", ["-c", REAPER, "reaper", String(process.pid), dir], {
      detached: true,
      stdio: "ignore",
    });
    this.reaper.unref();
    process.once("exit", this.killAllSync);
  }

  start(name: string, bin: string, args: string[], env: NodeJS.ProcessEnv = {}): ManagedProcess {
    if (this.live.has(name)) throw new Error(`${name} is already running`);
    const logPath = join(this.dir, `${name}.log`);
    const fd = openSync(logPath, "a");
    const child = spawn(bin, args, {
      detached: true,
      stdio: ["ignore", fd, fd],
      env: { ...process.env, ...env },
    });
    const proc = new ManagedProcess(name, child, logPath);
    this.live.set(name, proc);
    this.writePids();
    proc.exited.then(() => {
      if (this.live.get(name) === proc) {
        this.live.delete(name);
        this.writePids();
      }
    });
    return proc;
  }

  get(name: string): ManagedProcess | undefined {
    return this.live.get(name);
  }

  /** The logs of every process whose name starts with `prefix`, oldest first. */
  readLogs(prefix: string): string {
    return readdirSync(this.dir)
      .filter((f) => f.startsWith(prefix) && f.endsWith(".log"))
      .sort((a, b) => Number(a.match(/-(\d+)\.log$/)?.[1] ?? 0) - Number(b.match(/-(\d+)\.log$/)?.[1] ?? 0))
      .map((f) => readFileSync(join(this.dir, f), "utf8"))
      .join("");
  }

  /** Stops every process (in the given order first), then the reaper, then removes the directory. */
  async close(order: string[] = []): Promise<void> {
    for (const name of [...order, ...this.live.keys()]) await this.live.get(name)?.stop();
    process.removeListener("exit", this.killAllSync);
    try {
      if (this.reaper.pid) process.kill(this.reaper.pid, "SIGKILL");
    } catch {}
    rmSync(this.dir, { recursive: true, force: true });
  }

  private writePids(): void {
    const pids = [...this.live.values()].map((p) => p.pid).filter((p) => p > 0);
    writeFileSync(join(this.dir, "pids"), `${pids.join("\n")}\n`);
  }

  private readonly killAllSync = (): void => {
    for (const p of this.live.values()) p.killSync();
  };
}

export class ManagedProcess {
  readonly name: string;
  readonly logPath: string;
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private exitCode: number | null | undefined;

  constructor(name: string, child: ChildProcess, logPath: string) {
    this.name = name;
    this.child = child;
    this.logPath = logPath;
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.exitCode = code ?? (signal ? null : 0);
        resolve(this.exitCode);
      });
      child.once("error", () => {
        this.exitCode = -1;
        resolve(-1);
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** SIGTERM to the process group, SIGKILL after the timeout. */
  async stop(timeoutMs = 10_000, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    if (!this.running) return;
    this.signal(signal);
    const timer = setTimeout(() => this.signal("SIGKILL"), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  signal(sig: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, sig);
    } catch {
      try {
        process.kill(this.pid, sig);
      } catch {}
    }
  }

  killSync(): void {
    if (this.running) this.signal("SIGKILL");
  }

  tail(lines = 30): string {
    try {
      return readFileSync(this.logPath, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
      return "";
    }
  }
}

/** Removes run directories whose owner died without its reaper cleaning up (e.g. the machine rebooted). */
export function reapStaleRuns(): void {
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(RUN_DIR_PREFIX)) continue;
    const dir = join(tmpdir(), entry);
    let owner: number;
    try {
      owner = Number(readFileSync(join(dir, "owner"), "utf8"));
    } catch {
      continue;
    }
    if (isAlive(owner)) continue;
    try {
      for (const p of readFileSync(join(dir, "pids"), "utf8").split("\n").filter(Boolean)) {
        // Only a process that still names this run's directory is ours: pids may have been reused.
        try {
          if (readFileSync(`/proc/${p}/cmdline`, "utf8").includes(dir)) process.kill(-Number(p), "SIGKILL");
        } catch {}
      }
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
