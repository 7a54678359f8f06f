using Engine.Api.Access;
using Engine.Api.Http;
using Engine.Grains.Interfaces.Conversations;
using Engine.Api.Automation;
using Engine.Silo.Automation;
using Engine.Silo.Team;
using Npgsql;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Engine.Api.Team;

public sealed record TeamRequest(string? Name, string? Strategy, IReadOnlyList<string>? RequiredSkills, bool? MatchLanguage, bool? IsDefault, IReadOnlyList<Guid>? Members);

/// <summary>Teams: routing targets with an assignment strategy (round_robin, least_open, round_robin_online, manual) and a queue each.</summary>
public static class TeamsApi
{
    public static void MapTeams(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/teams").WithTags("Team");
        group.MapPost("/", Create).RequireAuthorization(Permissions.ManageSettings)
            .WithSummary("Create a team. isDefault: new conversations wait in its queue until routed elsewhere.");
        group.MapGet("/", async (HttpContext http, TeamStore s, CancellationToken ct) => TypedResults.Ok(await s.ListAsync(http.User.BusinessId(), ct)))
            .RequireAuthorization(Permissions.ReadConversations).WithSummary("Teams with members and how many conversations wait in each queue (agents read it to transfer and to see their queues).");
        group.MapGet("/{id:guid}", Get).RequireAuthorization(Permissions.ReadTeam);
        group.MapPatch("/{id:guid}", Update).RequireAuthorization(Permissions.ManageSettings);
        group.MapGet("/{id:guid}/hours", GetHours).RequireAuthorization(Permissions.ReadTeam)
            .WithSummary("The team's opening hours: its own, or the business's (own: false). Outside them its queue "
                + "waits and is offered when they open.");
        group.MapPut("/{id:guid}/hours", PutHours).RequireAuthorization(Permissions.ManageSettings)
            .WithSummary("Give the team hours of its own (the business-hours document: timeZone, week, holidays).");
        group.MapDelete("/{id:guid}/hours", DeleteHours).RequireAuthorization(Permissions.ManageSettings)
            .WithSummary("The team keeps the business's hours again.");
    }

    private static async Task<Results<Ok<TeamHoursView>, ProblemHttpResult>> GetHours(Guid id, HttpContext http,
        TeamStore teams, NpgsqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        var business = http.User.BusinessId();
        if (await teams.GetAsync(business, id, ct) is null) return Problems.NotFound("team", id);
        return TypedResults.Ok(await HoursViewAsync(db, business, id, clock, ct));
    }

    private static async Task<TeamHoursView> HoursViewAsync(NpgsqlDataSource db, Guid business, Guid team, TimeProvider clock,
        CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        var (hours, own) = await AutomationStore.GoverningHoursAsync(conn, null, business, team, ct);
        var now = clock.GetUtcNow();
        return new TeamHoursView(hours.TimeZone, hours.Describe(), hours.IsOpen(now), hours.NextOpening(now), own);
    }

    private static async Task<Results<Ok<TeamHoursView>, ValidationProblem, ProblemHttpResult>> PutHours(Guid id,
        BusinessHoursDocument r, HttpContext http, AutomationStore store, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken ct)
    {
        var v = AutomationApi.ValidateHours(r);
        if (!v.IsValid) return v.Problem();
        return await store.SetTeamHoursAsync(http.User.Actor(), id, r with { Holidays = r.Holidays ?? [] }, ct)
            ? TypedResults.Ok(await HoursViewAsync(db, http.User.BusinessId(), id, clock, ct)) : Problems.NotFound("team", id);
    }

    private static async Task<Results<Ok<TeamHoursView>, ProblemHttpResult>> DeleteHours(Guid id, HttpContext http,
        AutomationStore store, NpgsqlDataSource db, TimeProvider clock, CancellationToken ct) =>
        await store.SetTeamHoursAsync(http.User.Actor(), id, null, ct)
            ? TypedResults.Ok(await HoursViewAsync(db, http.User.BusinessId(), id, clock, ct)) : Problems.NotFound("team", id);

    private static async Task<Results<Created<TeamView>, ValidationProblem, ProblemHttpResult>> Create(TeamRequest req, HttpContext http, TeamStore teams, UserStore users, CancellationToken ct)
    {
        var v = await ValidateAsync(req, http, users, creating: true, ct);
        if (!v.IsValid) return v.Problem();
        var team = await teams.CreateAsync(http.User.Actor(), new TeamChange(req.Name!.Trim(), req.Strategy,
            req.RequiredSkills, req.MatchLanguage, req.IsDefault, req.Members), ct);
        return TypedResults.Created($"/api/v1/teams/{team.Id}", team);
    }

    private static async Task<Results<Ok<TeamView>, ProblemHttpResult>> Get(Guid id, HttpContext http, TeamStore teams, CancellationToken ct) =>
        await teams.GetAsync(http.User.BusinessId(), id, ct) is { } t ? TypedResults.Ok(t) : Problems.NotFound("team", id);

    private static async Task<Results<Ok<TeamView>, ValidationProblem, ProblemHttpResult>> Update(Guid id, TeamRequest req, HttpContext http, TeamStore teams, UserStore users, CancellationToken ct)
    {
        var v = await ValidateAsync(req, http, users, creating: false, ct);
        if (!v.IsValid) return v.Problem();
        var change = new TeamChange(req.Name?.Trim(), req.Strategy, req.RequiredSkills, req.MatchLanguage, req.IsDefault,
            req.Members);
        return await teams.UpdateAsync(http.User.Actor(), id, change, ct) is { } t
            ? TypedResults.Ok(t) : Problems.NotFound("team", id);
    }

    private static async Task<Validation> ValidateAsync(TeamRequest r, HttpContext http, UserStore users, bool creating, CancellationToken ct)
    {
        var known = (await users.ListAsync(http.User.BusinessId(), ct)).Where(u => !u.Disabled && u.Role != "Analyst").Select(u => u.Id).ToHashSet();
        return new Validation()
            .Require(!creating || !string.IsNullOrWhiteSpace(r.Name), "name", "Required.")
            .Require(r.Name is null || r.Name.Trim().Length is > 0 and <= 100, "name", "At most 100 characters.")
            .Require(r.Strategy is null || Strategies.All.Contains(r.Strategy), "strategy", $"One of {string.Join(", ", Strategies.All)}.")
            .Require(r.Members is null || r.Members.All(known.Contains), "members", "Members must be active users of this business who can take conversations (not Analysts).");
    }
}

/// <summary>The hours that govern a team's queue; <see cref="Own"/> when they are the team's rather than the
/// business's.</summary>
public sealed record TeamHoursView(string TimeZone, string Hours, bool OpenNow, DateTime? NextOpening, bool Own);
