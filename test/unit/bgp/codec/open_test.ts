import assert from "node:assert/strict";
import {
  BgpDecodeError,
  checkPeerAs,
  decodeMessage,
  DEFAULT_OPEN_CONTEXT,
  encodeMessage,
  ErrorCode,
  negotiateContext,
  type OpenMessage,
  OpenSubcode,
  peerAsOf,
} from "../../../../src/bgp/mod.ts";
import { frame, fromHex, hex } from "./_helpers.ts";

const ctx = DEFAULT_OPEN_CONTEXT;

/** Every field a distinct pattern: AS_TRANS 5ba0, hold 00b4, id 0a141e28. */
const OPEN_BYTES = frame(
  1,
  "04 5ba0 00b4 0a141e28 35" +
    "02 06 01 04 0001 00 01" + // multiprotocol IPv4 unicast
    "02 06 01 04 0002 00 01" + // multiprotocol IPv6 unicast
    "02 02 02 00" + // route refresh
    "02 02 06 00" + // extended message
    "02 08 40 06 8123 0001 01 80" + // graceful restart R, 291 s, IPv4 unicast F
    "02 06 41 04 fa56ea01" + // four-octet AS 4200000001
    "02 02 46 00" + // enhanced route refresh
    "02 05 49 03 616263", // unknown capability 73
);
const OPEN_VALUE: OpenMessage = {
  type: "open",
  version: 4,
  asn: 23456,
  holdTime: 180,
  bgpId: "10.20.30.40",
  capabilities: [
    { kind: "multiprotocol", afi: 1, safi: 1 },
    { kind: "multiprotocol", afi: 2, safi: 1 },
    { kind: "route-refresh" },
    { kind: "extended-message" },
    {
      kind: "graceful-restart",
      restarting: true,
      notification: false,
      restartTime: 291,
      families: [{ afi: 1, safi: 1, forwardingPreserved: true }],
    },
    { kind: "four-octet-as", asn: 4200000001 },
    { kind: "enhanced-route-refresh" },
    { kind: "unknown", code: 73, value: fromHex("616263") },
  ],
};

Deno.test("encodeMessage() writes the golden OPEN", () => {
  assert.equal(hex(encodeMessage({ ...OPEN_VALUE, asn: 4200000001 }, ctx)), hex(OPEN_BYTES));
  assert.equal(hex(encodeMessage(OPEN_VALUE, ctx)), hex(OPEN_BYTES));
});

Deno.test("decodeMessage() reads the golden OPEN", () => {
  const r = decodeMessage(OPEN_BYTES, ctx);
  assert.deepEqual(r.message, OPEN_VALUE);
  assert.equal(peerAsOf(r.message as OpenMessage), 4200000001);
});

Deno.test("decodeMessage() reads an OPEN with several capabilities in one parameter", () => {
  const bytes = frame(1, "04 fde9 005a c0000201 0e 02 0c 01 04 0001 00 01 41 04 0000fde9");
  const r = decodeMessage(bytes, ctx);
  assert.deepEqual((r.message as OpenMessage).capabilities, [
    { kind: "multiprotocol", afi: 1, safi: 1 },
    { kind: "four-octet-as", asn: 65001 },
  ]);
});

Deno.test("decodeMessage() reads an OPEN with RFC 9072 extended optional parameters", () => {
  const bytes = frame(1, "04 fde9 005a c0000201 ff ff 0007 02 0004 02 00 06 00");
  const open = decodeMessage(bytes, ctx).message as OpenMessage;
  assert.deepEqual(open.capabilities, [{ kind: "route-refresh" }, { kind: "extended-message" }]);
});

Deno.test("encodeMessage() switches to RFC 9072 extended parameters above 255 bytes", () => {
  const caps = Array.from({ length: 60 }, (_, i) => ({
    kind: "unknown" as const,
    code: 200,
    value: new Uint8Array([i, i]),
  }));
  const open: OpenMessage = { ...OPEN_VALUE, capabilities: caps };
  const bytes = encodeMessage(open, ctx);
  assert.equal(hex(bytes.subarray(28, 32)), "ffff" + (60 * 7).toString(16).padStart(4, "0"));
  assert.deepEqual(decodeMessage(bytes, ctx).message, open);
});

function openError(bytes: Uint8Array, subcode: number, data = ""): void {
  assert.throws(() => decodeMessage(bytes, ctx), (e) => {
    assert.ok(e instanceof BgpDecodeError, String(e));
    assert.equal(e.code, ErrorCode.OPEN_MESSAGE);
    assert.equal(e.subcode, subcode);
    assert.equal(hex(e.data), data);
    return true;
  });
}

Deno.test("decodeOpen() rejects version 3 with the supported version as data", () => {
  openError(frame(1, "03 fde9 005a c0000201 00"), OpenSubcode.UNSUPPORTED_VERSION_NUMBER, "0004");
});

Deno.test("decodeOpen() rejects hold time 1", () => {
  openError(frame(1, "04 fde9 0001 c0000201 00"), OpenSubcode.UNACCEPTABLE_HOLD_TIME);
});

Deno.test("decodeOpen() rejects hold time 2 and accepts 0 and 3", () => {
  openError(frame(1, "04 fde9 0002 c0000201 00"), OpenSubcode.UNACCEPTABLE_HOLD_TIME);
  assert.equal(
    (decodeMessage(frame(1, "04 fde9 0000 c0000201 00"), ctx).message as OpenMessage).holdTime,
    0,
  );
  assert.equal(
    (decodeMessage(frame(1, "04 fde9 0003 c0000201 00"), ctx).message as OpenMessage).holdTime,
    3,
  );
});

Deno.test("decodeOpen() rejects BGP Identifier 0.0.0.0", () => {
  openError(frame(1, "04 fde9 005a 00000000 00"), OpenSubcode.BAD_BGP_IDENTIFIER);
});

Deno.test("decodeOpen() rejects an optional parameter other than capabilities", () => {
  openError(
    frame(1, "04 fde9 005a c0000201 04 01 02 abcd"),
    OpenSubcode.UNSUPPORTED_OPTIONAL_PARAMETER,
  );
});

Deno.test("decodeOpen() rejects an optional parameters length that does not match", () => {
  openError(frame(1, "04 fde9 005a c0000201 05 02 02 02 00"), OpenSubcode.UNSPECIFIC);
});

Deno.test("decodeOpen() rejects a capability that overruns its parameter", () => {
  openError(frame(1, "04 fde9 005a c0000201 04 02 02 41 04"), OpenSubcode.UNSPECIFIC);
});

Deno.test("decodeOpen() rejects a four-octet AS capability of length 2", () => {
  openError(
    frame(1, "04 fde9 005a c0000201 06 02 04 41 02 fde9"),
    OpenSubcode.UNSPECIFIC,
    "4102fde9",
  );
});

Deno.test("checkPeerAs() raises Bad Peer AS for the wrong AS", () => {
  const open = decodeMessage(OPEN_BYTES, ctx).message as OpenMessage;
  checkPeerAs(open, 4200000001);
  assert.throws(() => checkPeerAs(open, 65001), (e) => {
    assert.ok(e instanceof BgpDecodeError);
    assert.equal(e.code, ErrorCode.OPEN_MESSAGE);
    assert.equal(e.subcode, OpenSubcode.BAD_PEER_AS);
    return true;
  });
});

Deno.test("negotiateContext() intersects capabilities and families", () => {
  const local: OpenMessage = {
    ...OPEN_VALUE,
    capabilities: [
      { kind: "multiprotocol", afi: 1, safi: 1 },
      { kind: "four-octet-as", asn: 65001 },
      { kind: "extended-message" },
    ],
  };
  const ctx2 = negotiateContext(local, OPEN_VALUE, true);
  assert.deepEqual(ctx2, {
    fourOctetAs: true,
    extendedMessage: true,
    ibgp: true,
    families: ["ipv4-unicast"],
  });
  const bare: OpenMessage = { ...OPEN_VALUE, capabilities: [] };
  assert.deepEqual(negotiateContext(bare, OPEN_VALUE, false), {
    fourOctetAs: false,
    extendedMessage: false,
    ibgp: false,
    families: ["ipv4-unicast"],
  });
});
