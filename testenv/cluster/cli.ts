// npm run build:cluster  builds (or finds) the control-plane binaries and tools, finds (or installs) Prometheus,
//                        shellcheck, buildah and mmdebstrap, and makes the Node 24 base the image test builds on.
// npm run cluster        starts a control plane with a simulated kubelet in the foreground until Ctrl-C.
import { ensureBinaries } from "./binaries.ts";
import { ControlPlane } from "./control-plane.ts";
import { debianTools } from "./debian-tools.ts";
import { ImageBuilder } from "./images.ts";
import { KubeletSimulator } from "./kubelet.ts";
import { ensurePrometheus } from "./prometheus.ts";
import { DEFAULT_NODES } from "./sim-nodes.ts";

const log = (line: string) => console.error(`[cluster] ${line}`);
const command = process.argv[2];

if (command === "build") {
  const paths = await ensureBinaries(log);
  for (const [name, path] of Object.entries(paths)) log(`${name}: ${path}`);
  for (const [name, path] of Object.entries(await ensurePrometheus(log))) log(`${name}: ${path}`);
  log(`shellcheck: ${(await debianTools("shellcheck", ["shellcheck"], log)).shellcheck}`);
  const images = await ImageBuilder.open(log);
  const base = await images.nodeBase();
  log(
    `buildah: ${images.buildah}; image base: ${base.image}${base.built ? ` (built in ${base.seconds} s)` : ""}`,
  );
} else if (command === "cluster") {
  const cp = await ControlPlane.start({ log });
  const kubelet = new KubeletSimulator(cp.kubeConfig(), { nodes: DEFAULT_NODES });
  await kubelet.start();
  console.log(`KUBECONFIG=${cp.info.kubeconfigPath}`);
  log(`kubectl: ${cp.info.kubectl} --kubeconfig ${cp.info.kubeconfigPath} get nodes`);
  log("running; Ctrl-C stops it");
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    kubelet.stop();
    await cp.stop();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
} else {
  console.error("usage: node testenv/cluster/cli.ts build|cluster");
  process.exit(2);
}
