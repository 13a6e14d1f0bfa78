ALTER TABLE `deployments` ADD `skip_cache` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `projects` ADD `cache_cleared_at` integer;