"""A local, offline stand-in for the AWS services the stack uses (see DESIGN §6).

moto serves IAM and AgentCore gateways/targets; this package adds what moto lacks and makes moto
as strict as AWS where that matters. Product code (reconciler/, server/, callback/) never imports
it: it reaches the sandbox through AWS_ENDPOINT_URL like it would reach AWS.
"""
