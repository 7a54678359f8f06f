using Engine.Silo.Access;
using Engine.Silo.Database;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Engine.Silo.Hosting;

/// <summary>
/// A silo-only node (<c>dotnet run --project src/Silo</c>, or the Api with <c>Engine:Cluster:Mode=silo</c>):
/// grains, reminders and the workers, with health, <c>/metrics</c> (from the allowed networks) and no public API.
/// </summary>
public static class SiloProgram
{
    public static Task Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Configuration["Engine:Cluster:Mode"] = nameof(ClusterMode.Silo);
        return RunAsync(builder);
    }

    public static async Task RunAsync(WebApplicationBuilder builder)
    {
        builder.Services.AddSilo(builder.Configuration);
        builder.Services.AddEngineHealth(builder.Configuration);
        builder.AddEngineTelemetry();
        builder.AddEngineCluster();
        var app = builder.Build();
        await InitializeAsync(app.Services);
        app.MapEngineHealth();
        app.MapSiloMetrics();
        await app.RunAsync();
    }

    /// <summary>Before the silo starts: the schema (the engine's migrations and Orleans' tables), the first business,
    /// the bootstrap credentials.</summary>
    public static async Task InitializeAsync(IServiceProvider services)
    {
        await Migrator.MigrateAsync(services.GetRequiredService<NpgsqlDataSource>());
        var options = services.GetRequiredService<IOptions<EngineOptions>>().Value;
        var access = services.GetRequiredService<AccessStore>();
        var business = await access.EnsureBusinessAsync(options.BusinessName, CancellationToken.None);
        await services.GetRequiredService<SecretBox>().SealPlainRowsAsync(services.GetRequiredService<NpgsqlDataSource>(), CancellationToken.None);
        if (!string.IsNullOrEmpty(options.BootstrapAdminKey))
            await access.EnsureBootstrapKeyAsync(business, "bootstrap administrator", options.BootstrapAdminKey,
                Roles.Administrator, CancellationToken.None);
        if (!string.IsNullOrEmpty(options.BootstrapAdminPassword) && Team.Passwords.Problem(options.BootstrapAdminPassword) is { } weak)
            throw new InvalidOperationException($"Engine:BootstrapAdminPassword does not meet the password policy: {weak}");
        if (!string.IsNullOrEmpty(options.BootstrapAdminEmail) && !string.IsNullOrEmpty(options.BootstrapAdminPassword))
            await services.GetRequiredService<Team.UserStore>()
                .EnsureAdministratorAsync(business, options.BootstrapAdminEmail, options.BootstrapAdminPassword,
                    CancellationToken.None);
    }
}
