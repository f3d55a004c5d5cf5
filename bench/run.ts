// npm run bench [-- reaction reaction-listener reaction-rule rolling rollout coldstart coldstart-limit coldstart-default
// soak] (all but soak by default, which takes half an hour on its own; reaction runs both its variants)
// Each scenario prints a table, writes bench/results/<scenario>.json, and reports every figure as a ratio to the
// floor GAAP itself imposes, measured in the same run. BENCHMARKS.md holds the latest figures.
//
// Sizes: BENCH_CHANGES (reaction), BENCH_ROLL_REPLICAS (rolling), BENCH_ROLLOUT_REPLICAS (rollout), BENCH_BINDINGS and BENCH_STEADY_MS (coldstart);
// BENCH_SOAK_MS, BENCH_SOAK_BINDINGS, BENCH_SOAK_CHANGES, BENCH_SOAK_RESTART_AT, BENCH_SOAK_WARMUP_MS (soak); BENCH_DEBUG=1 writes the operators' logs and the GAAP call log to /tmp at the end of each scenario.
import { coldstart } from "./coldstart.ts";
import { reaction } from "./reaction.ts";
import { rolling } from "./rolling.ts";
import { rollout } from "./rollout.ts";
import { soak } from "./soak.ts";

const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const all = wanted.length === 0;
const runs = (name: string) => all || wanted.includes(name);
if (runs("reaction") || runs("reaction-listener")) await reaction("listener");
if (runs("reaction") || runs("reaction-rule")) await reaction("rule");
if (runs("rolling")) await rolling();
if (runs("rollout")) await rollout();
if (runs("coldstart") || runs("coldstart-limit")) await coldstart("limit");
if (runs("coldstart") || runs("coldstart-default")) await coldstart("default");
if (wanted.includes("soak")) await soak();
// Exit even if a watch or socket is left open.
process.exit(0);
