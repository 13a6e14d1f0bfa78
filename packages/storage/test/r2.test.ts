import { env } from "cloudflare:workers";
import { r2Storage } from "../src/r2.ts";
import { storageContract } from "./contract.ts";

storageContract("r2", () => ({ storage: r2Storage(env.BUCKET) }));
