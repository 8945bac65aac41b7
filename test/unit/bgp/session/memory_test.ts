import { coreSuite } from "./_core.ts";
import { memoryNet } from "./_net.ts";

coreSuite("memory", memoryNet);
