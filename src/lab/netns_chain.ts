/**
 * A small routed lab for TTL tests (GTSM, eBGP TTL, the BFD receive-TTL
 * check): four network namespaces, all deleted on dispose.
 *
 * ```
 *   b ──(direct, one hop)── a ──── r ──── c
 *   10.211.1.2      10.211.1.1  .2.1  .2.2 .3.1  10.211.3.2
 * ```
 *
 * `a` is our side, `b` a directly connected peer, `c` a peer two hops away
 * behind the router `r`. `c` may send with `b`'s address (it holds it on lo),
 * and reverse-path filtering is off everywhere, so a spoofed packet really
 * reaches `a`, with TTL 254 when sent with 255.
 *
 * @module
 */
import { runToolOk } from "./_process.ts";

export interface ChainAddresses {
  /** a's address on the direct link to b. */
  aDirect: string;
  b: string;
  /** a's address towards r. */
  aRouted: string;
  c: string;
}

export class NetnsChain implements AsyncDisposable {
  readonly a: string;
  readonly b: string;
  readonly r: string;
  readonly c: string;
  readonly addresses: ChainAddresses = {
    aDirect: "10.211.1.1",
    b: "10.211.1.2",
    aRouted: "10.211.2.1",
    c: "10.211.3.2",
  };
  #created: string[] = [];

  private constructor(tag: string) {
    const base = `${tag}-${Deno.pid}`;
    this.a = `${base}-a`;
    this.b = `${base}-b`;
    this.r = `${base}-r`;
    this.c = `${base}-c`;
  }

  /** `tag` makes the names unique per user of the lab, e.g. "acst-i11". */
  static async create(tag: string): Promise<NetnsChain> {
    const chain = new NetnsChain(tag);
    await chain.destroy();
    try {
      await chain.#build();
    } catch (e) {
      await chain.destroy();
      throw e;
    }
    return chain;
  }

  async #build(): Promise<void> {
    const ip = (...args: string[]) => runToolOk("ip", args);
    const inNs = (ns: string, ...args: string[]) => runToolOk("ip", ["netns", "exec", ns, ...args]);
    for (const ns of [this.a, this.b, this.r, this.c]) {
      await ip("netns", "add", ns);
      this.#created.push(ns);
      await ip("-n", ns, "link", "set", "lo", "up");
    }
    const link = async (ns1: string, if1: string, ns2: string, if2: string) => {
      await ip("link", "add", if1, "netns", ns1, "type", "veth", "peer", "name", if2, "netns", ns2);
      await ip("-n", ns1, "link", "set", if1, "up");
      await ip("-n", ns2, "link", "set", if2, "up");
    };
    await link(this.a, "ab0", this.b, "ba0");
    await link(this.a, "ar0", this.r, "ra0");
    await link(this.r, "rc0", this.c, "cr0");
    await ip("-n", this.a, "addr", "add", "10.211.1.1/30", "dev", "ab0");
    await ip("-n", this.b, "addr", "add", "10.211.1.2/30", "dev", "ba0");
    await ip("-n", this.a, "addr", "add", "10.211.2.1/30", "dev", "ar0");
    await ip("-n", this.r, "addr", "add", "10.211.2.2/30", "dev", "ra0");
    await ip("-n", this.r, "addr", "add", "10.211.3.1/30", "dev", "rc0");
    await ip("-n", this.c, "addr", "add", "10.211.3.2/30", "dev", "cr0");
    await ip("-n", this.a, "route", "add", "10.211.3.0/30", "via", "10.211.2.2");
    await ip("-n", this.c, "route", "add", "default", "via", "10.211.3.1");
    await ip("-n", this.r, "route", "add", "10.211.1.0/30", "via", "10.211.2.1");
    await inNs(this.r, "sysctl", "-qw", "net.ipv4.ip_forward=1");
    for (const ns of [this.a, this.r, this.c]) {
      await inNs(ns, "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0");
      await inNs(ns, "sysctl", "-qw", "net.ipv4.conf.default.rp_filter=0");
    }
    for (const [ns, dev] of [[this.a, "ar0"], [this.r, "ra0"], [this.r, "rc0"], [this.c, "cr0"]]) {
      await inNs(ns!, "sysctl", "-qw", `net.ipv4.conf.${dev}.rp_filter=0`);
    }
    // c may send from b's address (the spoofer of the BFD test): it holds it on lo.
    await ip("-n", this.c, "addr", "add", "10.211.1.2/32", "dev", "lo");
  }

  /** Delete the namespaces (also leftovers of an earlier run with this pid). */
  async destroy(): Promise<void> {
    for (const ns of [this.a, this.b, this.r, this.c]) {
      await new Deno.Command("ip", { args: ["netns", "del", ns], stdout: "null", stderr: "null" })
        .output();
    }
    this.#created = [];
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.destroy();
  }
}
