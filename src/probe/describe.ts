/** Short human descriptions of handlers for tables and logs. */
import type { HandlerConfig } from "../config/model.ts";
import { httpHandlerUrl } from "./handlers/http.ts";
import { joinHostPort } from "./handlers/_net.ts";
import { assignedAddressTarget } from "./handlers/assigned_address.ts";

/** What a handler probes: a URL, "host:port", a command line, a file. */
export function handlerTarget(h: HandlerConfig): string {
  switch (h.kind) {
    case "http":
      return httpHandlerUrl(h);
    case "tcp":
    case "grpc":
      return joinHostPort(h.host, h.port) +
        (h.kind === "grpc" && h.service !== "" ? `/${h.service}` : "");
    case "exec":
      return [h.command, ...h.args].join(" ");
    case "dns_lookup":
      return `${h.recordType} ${h.query} @${h.resolver}`;
    case "http_2xx":
      return h.url;
    case "tls_certificate":
      return h.local?.path ?? (h.remote ? joinHostPort(h.remote.host, h.remote.port) : "?");
    case "assigned_address":
      return assignedAddressTarget(h);
    case "icmp_ping":
      return h.host;
    case "tftp_rrq":
      return h.url;
    case "ntpq":
      return h.srcAddr !== undefined ? `${h.server} from ${h.srcAddr}` : h.server;
  }
}
