import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.ts";
import { requireAuth } from "../middleware/auth.ts";
import {
  certificateOf,
  downloadCertificate,
  issueCertificate,
  presentCertificate,
} from "../services/certificates/manage.ts";
import {
  addDomain,
  findDomain,
  getDomain,
  listDomains,
  pinDomain,
  removeDomain,
  verifyDomain,
} from "../services/domains/manage.ts";
import { jsonBody, validate } from "../validation.ts";

const deploymentId = z.string().min(1).max(64);

export const addBody = z.strictObject({
  hostname: z.string().min(1).max(300),
  /** Pin to this deployment; omitted or null follows production. */
  deploymentId: deploymentId.nullable().optional(),
});

export const pinBody = z.strictObject({ deploymentId: deploymentId.nullable() });

const hostParam = (raw: string) => raw.slice(0, 300);

/** Custom domains, mounted at `/api/v1/projects`: `/:project/domains…`. */
export const domainRoutes = new Hono<AppEnv>()
  .get("/:project/domains", requireAuth, async (c) => {
    const domains = await listDomains(c.get("deps"), c.get("user").id, c.req.param("project"));
    return c.json({ domains });
  })
  .post("/:project/domains", requireAuth, jsonBody(), validate("json", addBody), async (c) => {
    const domain = await addDomain(
      c.get("deps"),
      c.get("user").id,
      c.req.param("project"),
      c.req.valid("json"),
    );
    return c.json({ domain }, 201);
  })
  .get("/:project/domains/:hostname", requireAuth, async (c) => {
    const { project, hostname } = c.req.param();
    const domain = await getDomain(c.get("deps"), c.get("user").id, project, hostParam(hostname));
    return c.json({ domain });
  })
  .patch("/:project/domains/:hostname", requireAuth, jsonBody(), validate("json", pinBody), async (c) => {
    const { project, hostname } = c.req.param();
    const { deploymentId: pin } = c.req.valid("json");
    const domain = await pinDomain(c.get("deps"), c.get("user").id, project, hostParam(hostname), pin);
    return c.json({ domain });
  })
  .post("/:project/domains/:hostname/verify", requireAuth, async (c) => {
    const { project, hostname } = c.req.param();
    const domain = await verifyDomain(c.get("deps"), c.get("user").id, project, hostParam(hostname));
    return c.json({ domain });
  })
  .get("/:project/domains/:hostname/certificate", requireAuth, async (c) => {
    const { project, hostname } = c.req.param();
    const { row } = await findDomain(c.get("deps"), c.get("user").id, project, hostParam(hostname));
    const certificate = await certificateOf(c.get("deps"), row.id);
    return c.json({ certificate: certificate ? presentCertificate(certificate) : null });
  })
  .post("/:project/domains/:hostname/certificate", requireAuth, async (c) => {
    const { project, hostname } = c.req.param();
    const { row } = await findDomain(c.get("deps"), c.get("user").id, project, hostParam(hostname));
    const certificate = await issueCertificate(c.get("deps"), row);
    return c.json({ certificate: presentCertificate(certificate) });
  })
  .get("/:project/domains/:hostname/certificate/download", requireAuth, async (c) => {
    const { project, hostname } = c.req.param();
    const { row } = await findDomain(c.get("deps"), c.get("user").id, project, hostParam(hostname));
    return c.json(await downloadCertificate(c.get("deps"), row));
  })
  .delete("/:project/domains/:hostname", requireAuth, async (c) => {
    const { project, hostname } = c.req.param();
    await removeDomain(c.get("deps"), c.get("user").id, project, hostParam(hostname));
    return c.body(null, 204);
  });
