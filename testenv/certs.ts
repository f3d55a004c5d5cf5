// Certificates for the admission webhook, made with Debian's openssl (installed if missing, saying so): a CA and a
// serving certificate for 127.0.0.1 (an IP SAN, as envtest makes them), written as tls.crt/tls.key.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { debianTools } from "./cluster/debian-tools.ts";

const exec = promisify(execFile);
let found: Promise<string> | undefined;

/** The openssl binary: found on PATH, else installed from Debian. */
export function openssl(): Promise<string> {
  found ??= debianTools("openssl", ["openssl"], (l) => console.error(`[certs] ${l}`)).then((t) => t.openssl);
  return found;
}

export interface ServingCert {
  /** Directory with tls.crt and tls.key, as the operator's --webhook-cert-dir reads it. */
  dir: string;
  /** The CA's PEM, for the webhook configuration's caBundle. */
  caPem: string;
}

/** A new CA and a certificate for 127.0.0.1 signed by it, written (atomically, file by file) into `dir`. */
export async function servingCert(dir = mkdtempSync(join(tmpdir(), "gaap-webhook-"))): Promise<ServingCert> {
  const bin = await openssl();
  const work = mkdtempSync(join(tmpdir(), "gaap-ca-"));
  const f = (n: string) => join(work, n);
  await exec(bin, [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=gaap-operator-test-ca",
    "-keyout",
    f("ca.key"),
    "-out",
    f("ca.crt"),
  ]);
  await exec(bin, [
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-subj",
    "/CN=127.0.0.1",
    "-keyout",
    f("tls.key"),
    "-out",
    f("tls.csr"),
  ]);
  writeFileSync(f("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  await exec(bin, [
    "x509",
    "-req",
    "-in",
    f("tls.csr"),
    "-CA",
    f("ca.crt"),
    "-CAkey",
    f("ca.key"),
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    f("ext.cnf"),
    "-out",
    f("tls.crt"),
  ]);
  // Key first, then certificate, each renamed into place so a reader never sees half a file.
  for (const n of ["tls.key", "tls.crt"]) renameSync(f(n), join(dir, n));
  return { dir, caPem: readFileSync(f("ca.crt"), "utf8") };
}
