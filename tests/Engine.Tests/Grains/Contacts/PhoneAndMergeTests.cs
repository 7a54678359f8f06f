using Engine.Grains.Contacts;

namespace Engine.Tests.Grains.Contacts;

public class PhoneAndMergeTests
{
    [Theory]
    [InlineData("+55 11 98765-4321", null, "+5511987654321")]
    [InlineData("5511987654321", null, "+5511987654321")]       // wa_id form
    [InlineData("551187654321", null, "+5511987654321")]        // the same Brazilian mobile without its ninth digit
    [InlineData("+55 11 3456-7890", null, "+551134567890")]     // a landline keeps 8 digits
    [InlineData("5215512345678", null, "+525512345678")]        // Mexico's old mobile "1"
    [InlineData("+52 55 1234 5678", null, "+525512345678")]
    [InlineData("0044 20 7946 0958", null, "+442079460958")]
    [InlineData("081 234 5678", "66", "+66812345678")]          // Thai national with trunk 0
    [InlineData("(415) 555-0100", "1", "+14155550100")]
    [InlineData("+1 (415) 555-0100", "66", "+14155550100")]     // an international number ignores the default
    [InlineData("12345", null, null)]
    [InlineData("not a number", null, null)]
    public void Numbers_normalise_to_E164(string raw, string? defaultCode, string? expected) =>
        Assert.Equal(expected, PhoneNumbers.ToE164(raw, defaultCode));

    private static ContactProfile Profile(string? name, string? email, decimal spend, string[] tags, Dictionary<string, object?> attrs, bool vip = false,
        DateTimeOffset? orderAt = null, Guid? lastAgent = null, DateTimeOffset? served = null) =>
        new(name, email, null, "en", null, vip, attrs, tags, spend, orderAt, orderAt is null ? null : $"{{\"at\":\"{orderAt:O}\"}}", null, lastAgent, served);

    [Fact]
    public void Merging_keeps_the_targets_values_unless_the_source_is_preferred_and_unites_the_rest()
    {
        var t0 = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        var agent = Guid.NewGuid();
        var target = Profile("Ana Lima", null, 100m, ["vip-club"], new() { ["tier"] = "gold", ["city"] = "SP" }, orderAt: t0);
        var source = Profile("Ana L.", "ana@example.com", 25.5m, ["newsletter", "vip-club"], new() { ["tier"] = "silver", ["size"] = "M" }, vip: true,
            orderAt: t0.AddDays(3), lastAgent: agent, served: t0.AddDays(2));

        var merged = ContactMerge.Merge(target, source, new HashSet<string>());
        Assert.Equal("Ana Lima", merged.Name);                 // both set: the target wins
        Assert.Equal("ana@example.com", merged.Email);         // only the source has it
        Assert.True(merged.Vip);
        Assert.Equal(125.5m, merged.LifetimeSpend);
        Assert.Equal(["vip-club", "newsletter"], merged.Tags);
        Assert.Equal("gold", merged.Attributes["tier"]);
        Assert.Equal("M", merged.Attributes["size"]);
        Assert.Equal(t0.AddDays(3), merged.LastOrderAt);       // the latest order
        Assert.Equal(agent, merged.LastAgentId);

        var preferring = ContactMerge.Merge(target, source, new HashSet<string> { "name", "attributes.tier" });
        Assert.Equal("Ana L.", preferring.Name);
        Assert.Equal("silver", preferring.Attributes["tier"]);
    }
}
