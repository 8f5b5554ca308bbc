"""The US regions and locations data may live in (shared by the environment model and the residency policy)."""

US_AZURE_LOCATIONS = frozenset(
    {
        "eastus", "eastus2", "centralus", "northcentralus", "southcentralus",
        "westcentralus", "westus", "westus2", "westus3",
    }
)  # fmt: skip
US_AWS_REGIONS = frozenset({"us-east-1", "us-east-2", "us-west-1", "us-west-2"})
