import assert from "node:assert/strict";
import { runCli } from "../../../src/cli/mod.ts";
import { buildCli } from "../../../src/cli/mod.ts";
import { completionTree } from "../../../cmd/completions.ts";
import { captureCli } from "./_capture.ts";

async function script(shell: string): Promise<string> {
  const io = captureCli();
  const code = await runCli(["completions", shell], io.ctx);
  assert.equal(code, 0, io.stderr());
  return io.stdout();
}

function program() {
  return buildCli(captureCli().ctx, () => {});
}

/** Every subcommand name of the program, from the program itself. */
function subcommands(): string[] {
  return program().commands.map((c) => c.name());
}

function installed(shell: string): string | undefined {
  const out = new Deno.Command("sh", { args: ["-c", `command -v ${shell}`], stdout: "piped" })
    .outputSync();
  return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
}

async function syntaxCheck(shell: string, args: string[], text: string): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/completion`;
    await Deno.writeTextFile(file, text);
    const out = await new Deno.Command(shell, { args: [...args, file], stderr: "piped" }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("completionTree() holds every subcommand, nested ones and their options", () => {
  const tree = completionTree(program());
  const names = tree.children.map((c) => c.path.at(-1));
  for (const sub of subcommands()) assert.ok(names.includes(sub), sub);
  assert.ok(subcommands().includes("completions") && subcommands().includes("import"));
  const imp = tree.children.find((c) => c.path.at(-1) === "import")!;
  assert.deepEqual(imp.children.map((c) => c.path.join(" ")), [
    "anycast import exabgp-healthcheck",
    "anycast import help",
  ]);
  const validate = tree.children.find((c) => c.path.at(-1) === "validate")!;
  const config = validate.options.find((o) => o.long === "--config");
  assert.deepEqual(config && { short: config.short, takesValue: config.takesValue }, {
    short: "-c",
    takesValue: true,
  });
  assert.equal(validate.takesArguments, true);
});

for (const shell of ["bash", "zsh", "fish"]) {
  Deno.test(`anycast completions ${shell} mentions every subcommand and option`, async () => {
    const text = await script(shell);
    for (const sub of subcommands()) {
      assert.match(text, new RegExp(`\\b${sub}\\b`), `${shell}: ${sub}`);
    }
    for (const word of ["exabgp-healthcheck", "version", "config"]) {
      assert.ok(text.includes(word), `${shell}: ${word}`);
    }
  });
}

Deno.test("anycast completions bash parses (bash -n)", async () => {
  await syntaxCheck("bash", ["-n"], await script("bash"));
});

Deno.test({
  name: "anycast completions zsh parses (zsh -n)",
  ignore: installed("zsh") === undefined,
  fn: async () => await syntaxCheck("zsh", ["-n"], await script("zsh")),
});

Deno.test({
  name: "anycast completions fish parses (fish --no-execute)",
  ignore: installed("fish") === undefined,
  fn: async () => await syntaxCheck("fish", ["--no-execute"], await script("fish")),
});

/** Run the bash completion function on a command line and return COMPREPLY. */
async function complete(line: string[]): Promise<string[]> {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/anycast.bash`;
    await Deno.writeTextFile(file, await script("bash"));
    await Deno.writeTextFile(`${dir}/config.yaml`, "");
    const words = line.map((w) => `'${w}'`).join(" ");
    const body = `source ${file}; COMP_WORDS=(${words}); COMP_CWORD=${
      line.length - 1
    }; _anycast; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const out = await new Deno.Command("bash", { args: ["-c", body], cwd: dir, stdout: "piped" })
      .output();
    assert.equal(out.code, 0);
    return new TextDecoder().decode(out.stdout).split("\n").filter(Boolean).sort();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the bash completion completes subcommands, nested ones, options and files", async () => {
  assert.deepEqual(await complete(["anycast", "va"]), ["validate"]);
  assert.deepEqual(await complete(["anycast", "import", ""]), ["exabgp-healthcheck", "help"]);
  assert.ok((await complete(["anycast", "import", "exabgp-healthcheck", "--"])).includes("--peer"));
  assert.deepEqual(await complete(["anycast", "run", "--config", "con"]), ["config.yaml"]);
  assert.deepEqual(await complete(["anycast", "help", "sch"]), ["schema"]);
});

Deno.test("anycast completions rejects an unknown shell with exit 2", async () => {
  const io = captureCli();
  assert.equal(await runCli(["completions", "tcsh"], io.ctx), 2);
  assert.match(io.stderr(), /unknown shell "tcsh" \(expected bash, zsh, fish\)/);
});

Deno.test({
  name: "the fish completion completes subcommands, nested ones and option choices",
  ignore: installed("fish") === undefined,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const file = `${dir}/anycast.fish`;
      await Deno.writeTextFile(file, await script("fish"));
      const complete = async (line: string) => {
        const out = await new Deno.Command("fish", {
          args: ["--no-config", "-c", `source ${file}; complete -C"${line}"`],
          stdout: "piped",
        }).output();
        assert.equal(out.code, 0);
        return new TextDecoder().decode(out.stdout).split("\n").filter(Boolean)
          .map((l) => l.split("\t")[0]!).sort();
      };
      assert.deepEqual(await complete("anycast va"), ["validate"]);
      assert.deepEqual(await complete("anycast import "), ["exabgp-healthcheck", "help"]);
      assert.deepEqual(await complete("anycast check --probe "), [
        "liveness",
        "readiness",
        "startup",
      ]);
      assert.ok((await complete("anycast run --")).includes("--restarting"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
