import { Hono } from "hono";
import { ZodError } from "zod";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { readBody } from "../lib/body.ts";
import { triggerGate } from "../middleware/rate-limit.ts";
import { schedulerOf } from "../services/builds/clients.ts";
import { requireGitHub } from "../services/github/accounts.ts";
import { reportToGitHub } from "../services/github/feedback.ts";
import {
  claimDelivery,
  handlePullRequest,
  handlePush,
  recordOutcome,
  releaseDelivery,
  verifySignature,
  type WebhookDeps,
  type WebhookOutcome,
} from "../services/github/webhook.ts";

// GitHub caps webhook payloads at 25 MB; a push or pull request payload is far smaller in practice.
const MAX_PAYLOAD_BYTES = 25 * 1024 * 1024;

/**
 * `POST /api/v1/hooks/github`: GitHub's webhooks, for repository webhooks Miaobu creates and for an
 * app-level webhook alike. No API token: the HMAC signature under `GITHUB_WEBHOOK_SECRET` is the
 * credential, checked on the exact bytes before anything is parsed or recorded.
 */
export const githubWebhookRoutes = new Hono<AppEnv>().post("/github", async (c) => {
  const deps = c.get("deps");
  const github = requireGitHub(deps);
  const body = await readBody(c.req.raw, MAX_PAYLOAD_BYTES, "The webhook payload");
  await verifySignature(github.webhookSecret, body, c.req.header("X-Hub-Signature-256"));
  const event = (c.req.header("X-GitHub-Event") ?? "").slice(0, 100);
  const delivery = c.req.header("X-GitHub-Delivery") ?? "";
  if (!/^[\w-]{1,100}$/.test(delivery) || !event) {
    throw new ApiError("bad_request", "X-GitHub-Event and X-GitHub-Delivery are required.");
  }
  if (event === "ping") return c.json({ event, result: "pong", deployments: [] });
  if (!(await claimDelivery(deps, delivery, event))) {
    return c.json({ event, result: "duplicate delivery: already handled", deployments: [] });
  }
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder().decode(body));
  } catch {
    await recordOutcome(deps, delivery, "malformed JSON");
    throw new ApiError("bad_request", "The payload is not JSON (set the webhook's content type to JSON).");
  }
  const hookDeps: WebhookDeps = {
    ...deps,
    scheduler: schedulerOf(c.env),
    gate: triggerGate(c),
    queued: (project, deployment) => c.executionCtx.waitUntil(reportToGitHub(deps, project, deployment)),
  };
  let outcome: WebhookOutcome;
  try {
    if (event === "push") outcome = await handlePush(hookDeps, payload);
    else if (event === "pull_request") outcome = await handlePullRequest(hookDeps, payload);
    else outcome = { event, result: `ignored: Miaobu does not act on ${event}`, deployments: [] };
  } catch (error) {
    // Unrecorded, so GitHub's redelivery of it is handled again.
    await releaseDelivery(deps, delivery);
    if (error instanceof ZodError) {
      throw new ApiError("invalid_input", `The ${event} payload is not what GitHub sends.`);
    }
    throw error;
  }
  await recordOutcome(deps, delivery, outcome.result);
  return c.json(outcome, outcome.deployments.length > 0 ? 202 : 200);
});
