ALTER TABLE `blobs` ADD `referenced_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `deployments` ADD `deleted_at` integer;--> statement-breakpoint
ALTER TABLE `projects` ADD `retain_production` integer DEFAULT 10 NOT NULL;--> statement-breakpoint
ALTER TABLE `projects` ADD `retain_preview` integer DEFAULT 20 NOT NULL;--> statement-breakpoint
ALTER TABLE `projects` ADD `retain_days` integer DEFAULT 7 NOT NULL;--> statement-breakpoint
ALTER TABLE `projects` ADD `sweep_until` integer;--> statement-breakpoint
-- Written by hand below this line: drizzle-kit models neither data updates nor triggers.
-- Blobs recorded before retention existed count as referenced when they were uploaded.
UPDATE `blobs` SET `referenced_at` = `created_at`;
--> statement-breakpoint
-- Retention (docs/retention.md) marks a deployment `deleted` only while nothing routes to it or pins it, in
-- one conditional UPDATE. These triggers make the other order impossible too: once a deployment is deleted,
-- a write that would point a host (or a domain's pin, or a host's skew fallback) at it aborts with
-- `deployment_deleted`, which the API answers with 409 (workers/api/src/lib/batch.ts). Only writes that
-- set or change a pointer are checked, so a deleted deployment's own `deployment` route (the router answers
-- 410 there) and an expired `previous_deployment_id` never block unrelated updates of their rows.
-- A later migration that rebuilds `routes` or `domains` (drizzle-kit does that for some column changes)
-- drops these triggers with the table and must create them again.
CREATE TRIGGER `routes_insert_deleted_deployment` BEFORE INSERT ON `routes`
WHEN EXISTS (
  SELECT 1 FROM `deployments`
  WHERE `status` = 'deleted' AND `id` IN (NEW.`deployment_id`, NEW.`previous_deployment_id`)
)
BEGIN
  SELECT RAISE(ABORT, 'deployment_deleted');
END;
--> statement-breakpoint
CREATE TRIGGER `routes_update_deleted_deployment` BEFORE UPDATE ON `routes`
WHEN (
  NEW.`deployment_id` IS NOT OLD.`deployment_id`
  AND EXISTS (SELECT 1 FROM `deployments` WHERE `id` = NEW.`deployment_id` AND `status` = 'deleted')
) OR (
  NEW.`previous_deployment_id` IS NOT OLD.`previous_deployment_id`
  AND EXISTS (SELECT 1 FROM `deployments` WHERE `id` = NEW.`previous_deployment_id` AND `status` = 'deleted')
)
BEGIN
  SELECT RAISE(ABORT, 'deployment_deleted');
END;
--> statement-breakpoint
CREATE TRIGGER `domains_insert_deleted_deployment` BEFORE INSERT ON `domains`
WHEN NEW.`deployment_id` IS NOT NULL
  AND EXISTS (SELECT 1 FROM `deployments` WHERE `id` = NEW.`deployment_id` AND `status` = 'deleted')
BEGIN
  SELECT RAISE(ABORT, 'deployment_deleted');
END;
--> statement-breakpoint
CREATE TRIGGER `domains_update_deleted_deployment` BEFORE UPDATE OF `deployment_id` ON `domains`
WHEN NEW.`deployment_id` IS NOT OLD.`deployment_id`
  AND EXISTS (SELECT 1 FROM `deployments` WHERE `id` = NEW.`deployment_id` AND `status` = 'deleted')
BEGIN
  SELECT RAISE(ABORT, 'deployment_deleted');
END;
