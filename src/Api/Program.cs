using System.Text.Json.Serialization;
using Engine.Api.Live;
using Engine.Api.Reports;
using Engine.Api.Http;
using Engine.Api.Access;
using Engine.Api.Automation;
using Engine.Api.Channels;
using Engine.Api.Contacts;
using Engine.Api.Conversations;
using Engine.Api.Integrations;
using Engine.Api.Messaging;
using Engine.Api.Operations;
using Engine.Api.Team;
using Engine.Api.Usage;
using Engine.Api.Webhooks.WeChat;
using Engine.Api.Webhooks.WhatsApp;
using Engine.Silo;
using Engine.Silo.Access;
using Engine.Silo.Hosting;
using Microsoft.AspNetCore.Authentication;

var builder = WebApplication.CreateBuilder(args);
if (EngineCluster.Read(builder.Configuration).Mode == ClusterMode.Silo)
{
    await SiloProgram.RunAsync(builder);   // a silo-only node: no public API
    return;
}
// The Testing environment's clock can be moved forward (POST /test/clock/advance); tests in-process replace it.
if (builder.Environment.IsEnvironment("Testing"))
{
    var clock = new Engine.Silo.Runtime.OffsetClock();
    builder.Services.AddSingleton<TimeProvider>(clock);
    builder.Services.AddSingleton<Engine.Silo.Runtime.IAdjustableClock>(clock);
}
builder.Services.AddSilo(builder.Configuration);
builder.Services.AddEngineHealth(builder.Configuration);
builder.AddEngineTelemetry();
builder.Services.AddMetricsAccess();
builder.AddEngineCluster();   // co-hosts the silo (mode node) or joins the cluster as a client (mode client)
builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
    ctx.ProblemDetails.Extensions.TryAdd("code", ctx.ProblemDetails.Status switch
    {
        400 => "bad_request",
        404 => "not_found",
        405 => "method_not_allowed",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        _ => "error",
    }));
builder.Services.AddExceptionHandler<Engine.Api.Http.RefusedHandler>();
builder.Services.AddAuthentication(ApiKeyAuthentication.SchemeName)
    .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null);
builder.Services.AddAuthorization(Permissions.Add);
builder.Services.AddLoginLimits(builder.Configuration);
builder.Services.AddWebSecurity(builder.Configuration);
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
builder.Services.AddEndpointsApiExplorer();
builder.Services.AddSwaggerGen(o =>
{
    o.SwaggerDoc("v1", new() { Title = "Conversation engine API", Version = "v1",
        Description = "REST API for integrators. Authenticate with an API key: 'Authorization: Bearer <key>' or 'X-Api-Key: <key>'. Errors are RFC 9457 problem details with a machine-readable 'code'." });
    o.SchemaFilter<Engine.Api.Http.OpenApiExamples>();
    o.AddSecurityDefinition(Engine.Api.Http.OpenApiSecurity.Scheme, Engine.Api.Http.OpenApiSecurity.Definition);
    o.OperationFilter<Engine.Api.Http.OpenApiSecurity>();
    var xml = Path.Combine(AppContext.BaseDirectory, "Api.xml");
    if (File.Exists(xml)) o.IncludeXmlComments(xml);
});

var app = builder.Build();
await SiloProgram.InitializeAsync(app.Services);

app.UseWebSecurity();
app.UseWebhookMetrics();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseLoginBodyCap();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();
app.UseSwagger();
app.UseSwaggerUI();
app.UseDefaultFiles();
app.UseStaticFiles();

app.MapWhatsAppWebhooks();
app.MapWeChatWebhooks();
app.MapChannels();
app.MapTemplates();
app.MapConversationReads();
app.MapMessages();
app.MapMedia();
app.MapAttachments();
app.MapStartConversation();
app.MapUsage();
app.MapApiKeys();
app.MapNodes();
app.MapMetrics();
app.MapDashboard();
app.MapAuth();
app.MapUsers();
app.MapTeams();
app.MapSettings();
app.MapNotifications();
app.MapConversationCommands();
app.MapAudit();
app.MapContacts();
app.MapCrm();
app.MapWebhooks();
app.MapAutomation();
app.MapLabels();
app.MapBotFlows();
app.MapQuickReplies();
app.MapCsat();
app.MapSummary();
app.MapExport();
app.MapReports();
app.MapLive();
if (app.Environment.IsEnvironment("Testing")) app.MapTestClock();

app.Run();

/// <summary>Entry point, visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
