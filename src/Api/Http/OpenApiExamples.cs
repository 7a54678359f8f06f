using System.Text.Json.Nodes;
using Engine.Api.Access;
using Engine.Api.Channels;
using Engine.Api.Contacts;
using Engine.Api.Conversations;
using Engine.Api.Integrations;
using Engine.Api.Messaging;
using Engine.Api.Team;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Engine.Api.Http;

/// <summary>Request examples in the OpenAPI document, one per request body an integrator writes.</summary>
public sealed class OpenApiExamples : ISchemaFilter
{
    private static readonly Dictionary<Type, string> Examples = new()
    {
        [typeof(ChannelRequest)] = """{"kind":"whatsapp","name":"Support line","phoneNumberId":"990123456789012","displayPhoneNumber":"+1 555 765 4321","appSecret":"<app secret>","verifyToken":"<verify token>","accessToken":"<system user token>","apiVersion":"v24.0","responseWindowHours":24,"outsideWindowPolicy":"refuse"}""",
        [typeof(SendMessageRequest)] = """{"type":"buttons","text":"How can we help with order #4411?","buttons":[{"id":"track","title":"Track my order"},{"id":"agent","title":"Talk to an agent"}],"idempotencyKey":"crm-4411-followup"}""",
        [typeof(CreateApiKeyRequest)] = """{"name":"CRM integration","role":"Editor"}""",
        [typeof(LoginRequest)] = """{"email":"mali@example.com","password":"correct horse battery"}""",
        [typeof(UserRequest)] = """{"email":"mali@example.com","name":"Mali Srisuk","role":"Agent","password":"correct horse battery","skills":["logistics","thai"],"languages":["th","en"],"tier":"frontline","capacity":5}""",
        [typeof(TeamRequest)] = """{"name":"Logistics","strategy":"least_open","requiredSkills":["logistics"],"matchLanguage":false,"isDefault":false,"members":["01a2..."]}""",
        [typeof(SettingsRequest)] = """{"timeZone":"Asia/Bangkok","lockMinutes":7,"idleReleaseMinutes":3,"stickyHours":72,"autoMergeVerifiedPhone":true,"inactiveAfterHours":24,"botQuietMinutes":30}""",
        [typeof(TransferRequest)] = """{"toTeamId":"01a2...","comment":"Customer asks for a refund over the frontline limit"}""",
        [typeof(NoteRequest)] = """{"text":"10:02|refund|waiting for finance"}""",
        [typeof(ContactRequest)] = """{"email":"ana@example.com","phone":"+55 11 98765-4321","vip":true,"attributes":{"shoe_size":38},"tags":["loyal"],"lifetimeSpend":120.5,"lastOrder":{"id":"A-100","amount":20,"currency":"USD","at":"2026-02-01T10:00:00Z"}}""",
        [typeof(MergeRequest)] = """{"sourceContactId":"01a2...","preferSource":["email"]}""",
        [typeof(AttributeRequest)] = """{"key":"shoe_size","type":"number","label":"Shoe size"}""",
        [typeof(CrmEventRequest)] = """{"eventId":"order-7781-paid","type":"conversion","phone":"+62 813 2222 0002","amount":49.90,"currency":"USD","orderId":"7781","conversationId":"01a2..."}""",
        [typeof(WebhookRequest)] = """{"url":"https://crm.example.com/hooks/engine","events":["conversation.created","message.received","conversation.resolved"],"description":"CRM sync"}""",
        [typeof(ReplayRequest)] = """{"eventIds":[1042,1043]}""",
    };

    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (Examples.TryGetValue(context.Type, out var json) && schema is OpenApiSchema concrete) concrete.Examples = [JsonNode.Parse(json)!];
    }
}
