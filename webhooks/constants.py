# GitHub's webhook event names ("Webhook events and payloads"), grouped as the admin's config form
# shows them; the groups are the one list (GITHUB_EVENTS is their union). The receiver itself stores
# any well-formed event name: GitHub adds events over time and a delivery must never be lost for being new.
GITHUB_EVENT_GROUPS = {
    "Code and branches": (
        "push create delete fork commit_comment gollum branch_protection_rule branch_protection_configuration "
        "repository_ruleset merge_group deploy_key"
    ).split(),
    "Pull requests": "pull_request pull_request_review pull_request_review_comment pull_request_review_thread".split(),
    "Issues and discussions": (
        "issues issue_comment issue_dependencies sub_issues label milestone discussion discussion_comment"
    ).split(),
    "Checks, workflows and deployments": (
        "check_run check_suite status workflow_job workflow_run workflow_dispatch deployment deployment_status "
        "deployment_review deployment_protection_rule page_build"
    ).split(),
    "Releases and packages": "release package registry_package".split(),
    "Repository, organization and teams": (
        "repository repository_dispatch repository_import public star watch member membership organization "
        "org_block team team_add custom_property custom_property_values meta ping"
    ).split(),
    "Security": (
        "code_scanning_alert dependabot_alert secret_scanning_alert secret_scanning_alert_location "
        "secret_scanning_scan security_advisory security_and_analysis repository_advisory "
        "repository_vulnerability_alert personal_access_token_request"
    ).split(),
    "Projects": "project project_card project_column projects_v2 projects_v2_item projects_v2_status_update".split(),
    "GitHub Apps and Marketplace": (
        "installation installation_repositories installation_target github_app_authorization "
        "marketplace_purchase sponsorship"
    ).split(),
}
GITHUB_EVENTS = frozenset(name for names in GITHUB_EVENT_GROUPS.values() for name in names)

WILDCARD_EVENT = "*"
