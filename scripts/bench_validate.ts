/**
 * Time `anycast validate` end to end (a fresh `deno run -A main.ts validate`
 * subprocess, as CI would run it) on a generated 1,000-prefix native config,
 * plus the in-process parse alone. Bounded: a handful of runs.
 *
 * Usage: deno task bench:validate [prefixes] [runs]
 *
 * @module
 */
import { parseConfig } from "../src/config/mod.ts";

const prefixCount = Number(Deno.args[0] ?? 1000);
const runs = Math.min(Number(Deno.args[1] ?? 5), 20);

function generate(n: number): string {
  const lines = [
    "speaker:",
    "  asn: 64600",
    "  routerId: 192.0.2.10",
    "neighbors:",
    "  - address: 192.0.2.254",
    "    asn: 64599",
    "  - address: 2001:db8::fe",
    "    asn: 64599",
    "prefixes:",
  ];
  for (let i = 0; i < n; i++) {
    lines.push(
      `  - ipAddress: 10.${(i >> 8) & 255}.${i & 255}.1/32`,
      `    name: svc${i}`,
      `    communities: ["64600:${i % 65535}", no-export]`,
      "    readinessProbe:",
      "      periodSeconds: 5s",
      "      timeoutSeconds: 1s",
      "      http:",
      `        port: ${8000 + (i % 1000)}`,
      "        path: /health",
      "    livenessProbe:",
      `      tcp: {port: ${9000 + (i % 1000)}}`,
    );
  }
  return lines.join("\n") + "\n";
}

const text = generate(prefixCount);
const file = await Deno.makeTempFile({ prefix: "anycast-bench-", suffix: ".yaml" });
await Deno.writeTextFile(file, text);
const mainTs = new URL("../main.ts", import.meta.url).pathname;

try {
  const wall: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", mainTs, "validate", file],
      stdout: "piped",
      stderr: "piped",
    }).output();
    wall.push(performance.now() - started);
    if (out.code !== 0) {
      throw new Error(`validate exited ${out.code}: ${new TextDecoder().decode(out.stderr)}`);
    }
    if (i === 0) {
      console.log(new TextDecoder().decode(out.stdout).trim().replace(file, "<generated>"));
    }
  }
  const inProcess: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const result = parseConfig(text, file);
    inProcess.push(performance.now() - started);
    if (!result.ok) throw new Error("generated config is invalid");
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(
    `anycast validate, ${prefixCount} prefixes (${
      (text.length / 1024).toFixed(0)
    } KiB), ${runs} runs:`,
  );
  console.log(
    `  end to end (subprocess): median ${median(wall).toFixed(0)} ms, min ${
      Math.min(...wall).toFixed(0)
    } ms`,
  );
  console.log(
    `  parseConfig in process:  median ${median(inProcess).toFixed(0)} ms, min ${
      Math.min(...inProcess).toFixed(0)
    } ms`,
  );
} finally {
  await Deno.remove(file);
}
