/**
 * The control API: server (unix socket, optional TCP with a bearer token),
 * client, and the prefix half of the backend.
 *
 * @module
 */
export * from "./types.ts";
export * from "./validate.ts";
export * from "./server.ts";
export * from "./client.ts";
export * from "./prefix_control.ts";
export * from "./format.ts";
export * from "./backend.ts";
export * from "./daemon_backend.ts";
