using Engine.Api.Access;
using Engine.Api.Http;
using Engine.Grains.Conversations;
using Engine.Silo.Access;
using Engine.Silo.Team;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Engine.Api.Team;

public sealed record UserRequest(string? Email, string? Name, string? Role, string? Password, IReadOnlyList<string>? Skills,
    IReadOnlyList<string>? Languages, string? Tier, int? Capacity, int? DailyBaseline = null);

/// <summary>Users and their agent profiles (skills, languages, tier, capacity): Administrators manage them; Editors read them.</summary>
public static class UsersApi
{
    public static void MapUsers(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/users").WithTags("Team");
        group.MapPost("/", Create).RequireAuthorization(Permissions.ManageSettings).WithSummary("Create a user with a role; agents get skills, languages, tier and capacity (default 5).");
        group.MapGet("/", async (HttpContext http, UserStore s, CancellationToken ct) => TypedResults.Ok(await s.ListAsync(http.User.BusinessId(), ct)))
            .RequireAuthorization(Permissions.ReadTeam).WithSummary("Users with presence, online state and load (e.g. 3/5).");
        group.MapGet("/{id:guid}", Get).RequireAuthorization(Permissions.ReadTeam);
        group.MapPatch("/{id:guid}", Update).RequireAuthorization(Permissions.ManageSettings);
        group.MapPost("/{id:guid}/disable", Disable).RequireAuthorization(Permissions.ManageSettings).WithSummary("Disable: sessions end, no new assignments.");
    }

    private static async Task<Results<Created<UserView>, ValidationProblem, ProblemHttpResult>> Create(UserRequest req, HttpContext http, UserStore users, CancellationToken ct)
    {
        var v = Validate(req, creating: true);
        if (!v.IsValid) return v.Problem();
        var user = await users.CreateAsync(http.User.Actor(), req.Email!, req.Name!.Trim(), req.Role!, req.Password!,
            new UserChange(null, null, req.Skills, req.Languages, req.Tier, req.Capacity, null, req.DailyBaseline), ct);
        return TypedResults.Created($"/api/v1/users/{user.Id}", user);
    }

    private static async Task<Results<Ok<UserView>, ProblemHttpResult>> Get(Guid id, HttpContext http, UserStore users, CancellationToken ct) =>
        await users.GetAsync(http.User.BusinessId(), id, ct) is { } u ? TypedResults.Ok(u) : Problems.NotFound("user", id);

    private static async Task<Results<Ok<UserView>, ValidationProblem, ProblemHttpResult>> Update(Guid id, UserRequest req, HttpContext http, UserStore users, CancellationToken ct)
    {
        if (req.Email is not null) return Problems.Invalid("email", "The email cannot change; create a new user.");
        var v = Validate(req, creating: false);
        if (!v.IsValid) return v.Problem();
        var change = new UserChange(req.Name?.Trim(), req.Role, req.Skills, req.Languages, req.Tier, req.Capacity, req.Password, req.DailyBaseline);
        var keep = http.User.UserId() == id ? ApiKeyAuthentication.SessionToken(http.Request) : null;
        return await users.UpdateAsync(http.User.Actor(), id, change, ct, keep)
            is { } u ? TypedResults.Ok(u) : Problems.NotFound("user", id);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Disable(Guid id, HttpContext http, UserStore users, CancellationToken ct) =>
        await users.DisableAsync(http.User.Actor(), id, ct) ? TypedResults.NoContent() : Problems.NotFound("active user", id);

    private static Validation Validate(UserRequest r, bool creating) => new Validation()
        .Require(!creating || (r.Email is { } e && e.Contains('@') && e.Length <= 200), "email", "A valid email address is required.")
        .Require(!creating || !string.IsNullOrWhiteSpace(r.Name), "name", "Required.")
        .Require(r.Name is null || r.Name.Trim().Length is > 0 and <= 100, "name", "At most 100 characters.")
        .Require(creating ? r.Role is not null && Roles.All.Contains(r.Role) : r.Role is null || Roles.All.Contains(r.Role), "role", $"One of {string.Join(", ", Roles.All)}.")
        .Require((!creating && r.Password is null) || Passwords.Problem(r.Password) is null, "password", Passwords.Problem(r.Password) ?? "")
        .Require(r.Tier is null || ConversationRules.Tiers.Contains(r.Tier), "tier", $"One of {string.Join(", ", ConversationRules.Tiers)}.")
        .Require(r.Capacity is null or (>= 1 and <= 100), "capacity", "Between 1 and 100 concurrent conversations.")
        .Require(r.DailyBaseline is null or (>= 1 and <= 10000), "dailyBaseline", "Conversations expected per day, between 1 and 10000 (e.g. senior 120, new 60).")
        .Require(r.Skills is null || r.Skills.All(s => !string.IsNullOrWhiteSpace(s) && s.Length <= 50), "skills", "Non-empty tags of at most 50 characters.");
}
