ALTER TABLE `projects` ADD `html_handling` text DEFAULT 'auto-trailing-slash' NOT NULL;--> statement-breakpoint
ALTER TABLE `projects` ADD `not_found_handling` text DEFAULT 'auto' NOT NULL;--> statement-breakpoint
-- Written by hand: the stored settings in Cloudflare Workers' names (issue 15). trailing_slash and not_found
-- stay one release for Workers of the release before; the next migration drops them.
UPDATE `projects` SET `html_handling` = CASE `trailing_slash` WHEN 'auto' THEN 'auto-trailing-slash' ELSE `trailing_slash` END;--> statement-breakpoint
UPDATE `projects` SET `not_found_handling` = CASE `not_found` WHEN 'spa' THEN 'single-page-application' ELSE `not_found` END;
