/**
 * The Containerfile cannot be built here (no container engine, and
 * `deno compile` downloads denort), so check by reading that it stays in step
 * with the rest of the repository.
 */
import assert from "node:assert/strict";

const root = new URL("../../../", import.meta.url);
const containerfile = Deno.readTextFileSync(new URL("Containerfile", root));

Deno.test("Containerfile builds with the Deno version the project pins", () => {
  const readme = Deno.readTextFileSync(new URL("README.md", root));
  const pinned = /deno@(\d+\.\d+\.\d+)/.exec(readme)?.[1];
  assert.ok(pinned);
  assert.match(containerfile, new RegExp(`^FROM \\S+/deno:debian-${pinned} AS build$`, "m"));
  assert.equal(Deno.version.deno, pinned);
});

Deno.test("Containerfile runs the binary as a non-root user with the unit's command", () => {
  const stages = containerfile.split(/^FROM /m).slice(1);
  assert.equal(stages.length, 2, "multi-stage: build, then run");
  const run = stages[1]!;
  assert.match(run, /^docker\.io\/library\/debian:bookworm-slim$/m);
  assert.match(run, /^COPY --from=build \/out\/anycast \/usr\/local\/bin\/anycast$/m);
  assert.match(run, /^USER anycast$/m);
  assert.match(run, /^ENTRYPOINT \["\/usr\/local\/bin\/anycast"\]$/m);
  assert.match(run, /^CMD \["run", "--config", "\/etc\/anycast\/config\.yaml"\]$/m);
  const unit = Deno.readTextFileSync(new URL("examples/anycast.service", root));
  assert.match(
    unit,
    /^ExecStart=\/usr\/local\/bin\/anycast run --config \/etc\/anycast\/config\.yaml$/m,
  );
});

Deno.test("Containerfile copies every top-level source the binary imports", () => {
  for (const path of ["main.ts", "cmd/", "src/", "deno.json", "deno.lock"]) {
    assert.ok(containerfile.includes(` ${path}`), path);
  }
  // The stamped revision comes from the build argument when the context has no .git.
  assert.match(containerfile, /^ENV ANYCAST_REVISION=\$\{REVISION\}$/m);
  assert.match(containerfile, /deno run -A scripts\/stamp_version\.ts/);
});
