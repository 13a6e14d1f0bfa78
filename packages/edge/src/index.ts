export { clientAddress, LOCAL_CLIENT, trustsCfConnectingIp } from "./client-address.ts";
export { isValidHost, requestHost } from "./host.ts";
export {
  attempt,
  type LockoutDecision,
  type LockoutRule,
  type LockoutState,
  lockMs,
  parseLockoutRule,
} from "./lockout.ts";
