using System.Net;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Security;

/// <summary>Changing Engine:BootstrapAdminKey rotates the key: the previous one stops working.</summary>
public class BootstrapKeyTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new();

    public Task InitializeAsync() => _db.InitializeAsync();
    public Task DisposeAsync() => _db.DisposeAsync();

    [Fact]
    public async Task A_new_bootstrap_key_revokes_the_previous_one()
    {
        var clock = TestClock.Create();
        await using (var first = new EngineHost(_db.ConnectionString, clock, nodeId: "boot-1"))
            Assert.Equal(HttpStatusCode.OK, (await first.Admin().GetAsync("/api/v1/channels")).StatusCode);

        const string rotated = "ek_rotated_bootstrap_key";
        await using var second = new EngineHost(_db.ConnectionString, clock, nodeId: "boot-2",
            settings: new Dictionary<string, string> { ["Engine:BootstrapAdminKey"] = rotated });
        Assert.Equal(HttpStatusCode.OK, (await second.WithKey(rotated).GetAsync("/api/v1/channels")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await second.WithKey(EngineHost.AdminKey).GetAsync("/api/v1/channels")).StatusCode);
        Assert.Equal(1, await _db.CountAsync("from api_keys where bootstrap and revoked_at is null"));
    }
}
