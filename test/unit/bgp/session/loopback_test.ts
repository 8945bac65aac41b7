import { coreSuite } from "./_core.ts";
import { tcpNet } from "./_net.ts";

coreSuite("loopback", tcpNet);
