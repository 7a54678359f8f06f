using Engine.Silo.Hosting;
using Microsoft.Extensions.Configuration;

namespace Engine.Tests.Silo;

/// <summary>The Engine:Cluster keys are a contract with operators: their names, defaults and modes.</summary>
public class EngineClusterTests
{
    private static EngineCluster Read(params (string Key, string Value)[] settings) =>
        EngineCluster.Read(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build());

    [Fact]
    public void Defaults_are_one_node_on_the_standard_ports()
    {
        var c = Read();
        Assert.Equal(("engine", 11111, 30000, "127.0.0.1", ClusterMode.Node),
            (c.ClusterId, c.SiloPort, c.GatewayPort, c.AdvertisedAddress, c.Mode));
        Assert.True(c.HostsSilo);
    }

    [Theory]
    [InlineData("node", ClusterMode.Node, true)]
    [InlineData("silo", ClusterMode.Silo, true)]
    [InlineData("client", ClusterMode.Client, false)]
    [InlineData("Client", ClusterMode.Client, false)]
    public void The_mode_says_whether_this_process_hosts_a_silo(string mode, ClusterMode expected, bool hostsSilo)
    {
        var c = Read(("Engine:Cluster:Mode", mode));
        Assert.Equal(expected, c.Mode);
        Assert.Equal(hostsSilo, c.HostsSilo);
    }

    [Fact]
    public void Every_key_is_read_by_its_documented_name()
    {
        var c = Read(("Engine:Cluster:ClusterId", "blue"), ("Engine:Cluster:SiloPort", "11112"),
            ("Engine:Cluster:GatewayPort", "30001"), ("Engine:Cluster:AdvertisedAddress", "10.0.0.7"));
        Assert.Equal(("blue", 11112, 30001, "10.0.0.7"), (c.ClusterId, c.SiloPort, c.GatewayPort, c.AdvertisedAddress));
    }

    [Fact]
    public void An_advertised_name_is_resolved_and_an_unresolvable_one_is_a_clear_error()
    {
        Assert.Equal("127.0.0.1", Read(("Engine:Cluster:AdvertisedAddress", "localhost")).AdvertisedAddress);
        var e = Assert.Throws<InvalidOperationException>(
            () => Read(("Engine:Cluster:AdvertisedAddress", "no-such-host.invalid")));
        Assert.Contains("AdvertisedAddress", e.Message);
    }
}
