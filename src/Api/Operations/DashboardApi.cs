using Engine.Api.Access;
using Orleans.Dashboard;

namespace Engine.Api.Operations;

/// <summary>
/// Orleans' dashboard at <c>/dashboard</c>: silos, grain activations and calls, reminders, live logs and grain state
/// across the cluster. It has no authentication of its own: every one of its routes requires an Administrator (an
/// API key, or the web app's session cookie for a browser).
/// </summary>
public static class DashboardApi
{
    public const string Prefix = "/dashboard";

    public static void MapDashboard(this IEndpointRouteBuilder app) =>
        app.MapOrleansDashboard(Prefix).RequireAuthorization(Permissions.Operate).ExcludeFromDescription();
}
