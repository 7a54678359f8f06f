using System.Text;
using System.Text.Json;
using Engine.Api.Webhooks.WhatsApp;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Webhooks;

/// <summary>Every documented inbound type, shaped like Meta's payloads, keeps its content and yields the text the engine shows.</summary>
public class WhatsAppPayloadTests
{
    public static TheoryData<string, string, string?> Types => new()
    {
        { "text", """ "text":{"body":"Where is my order?"} """, "Where is my order?" },
        { "image", """ "image":{"caption":"broken box","mime_type":"image/jpeg","sha256":"abc","id":"1479537139650973"} """, "broken box" },
        { "video", """ "video":{"mime_type":"video/mp4","sha256":"abc","id":"2"} """, null },
        { "audio", """ "audio":{"mime_type":"audio/ogg; codecs=opus","sha256":"abc","id":"3","voice":true} """, null },
        { "document", """ "document":{"caption":"invoice","filename":"inv.pdf","mime_type":"application/pdf","id":"4"} """, "invoice" },
        { "sticker", """ "sticker":{"mime_type":"image/webp","sha256":"abc","id":"5","animated":false} """, null },
        { "location", """ "location":{"latitude":-23.55,"longitude":-46.63,"name":"Av. Paulista","address":"São Paulo"} """, "Av. Paulista" },
        { "contacts", """ "contacts":[{"name":{"formatted_name":"João Silva","first_name":"João"},"phones":[{"phone":"+55 11 91234-5678","wa_id":"5511912345678","type":"CELL"}]}] """, "João Silva" },
        { "interactive", """ "context":{"from":"15557654321","id":"wamid.PREV"},"interactive":{"type":"button_reply","button_reply":{"id":"talk_to_agent","title":"Talk to an agent"}} """, "Talk to an agent" },
        { "interactive", """ "interactive":{"type":"list_reply","list_reply":{"id":"ship","title":"Shipping","description":"Fees and times"}} """, "Shipping" },
        { "button", """ "context":{"from":"15557654321","id":"wamid.TPL"},"button":{"payload":"STOP","text":"Stop promotions"} """, "Stop promotions" },
        { "reaction", """ "reaction":{"message_id":"wamid.OUT","emoji":"👍"} """, "👍" },
        { "reaction", """ "reaction":{"message_id":"wamid.OUT"} """, null },
        { "order", """ "order":{"catalog_id":"cat1","text":"please deliver fast","product_items":[{"product_retailer_id":"sku1","quantity":2,"item_price":10.5,"currency":"USD"}]} """, "please deliver fast" },
        { "unsupported", """ "errors":[{"code":131051,"title":"Message type unknown","message":"Message type unknown","error_data":{"details":"Message type is currently not supported."}}],"unsupported":{"type":"edit"} """, null },
    };

    [Theory]
    [MemberData(nameof(Types))]
    public void Every_message_type_is_read_and_kept_whole(string type, string fields, string? text)
    {
        var message = $$"""{"from":"5511987654321","id":"wamid.T1","timestamp":"1760000000","type":"{{type}}",{{fields}}}""";
        var batch = WhatsAppPayload.Parse(Guid.NewGuid(), Wa.PhoneNumberId, Encoding.UTF8.GetBytes(Wa.Envelope($"[{Wa.Contact("5511987654321", "Ana Lima")}]", $"[{message}]"))).Batch;
        var m = Assert.Single(batch.Messages);
        Assert.Equal(type, m.Type);
        Assert.Equal(text, m.Text);
        Assert.Equal("wamid.T1", m.ProviderMessageId);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1760000000), m.SentAt);
        Assert.Equal("Ana Lima", m.Contact.Name);
        using var content = JsonDocument.Parse(m.ContentJson);
        Assert.Equal(type, content.RootElement.GetProperty("type").GetString());
    }

    [Fact]
    public void Reply_context_is_kept()
    {
        var message = """{"from":"5511987654321","id":"wamid.R","timestamp":"1760000000","type":"text","context":{"from":"15557654321","id":"wamid.QUOTED"},"text":{"body":"this one"}}""";
        var m = Assert.Single(WhatsAppPayload.Parse(Guid.NewGuid(), Wa.PhoneNumberId, Encoding.UTF8.GetBytes(Wa.Envelope("[]", $"[{message}]"))).Batch.Messages);
        Assert.Equal("wamid.QUOTED", m.ReplyToProviderId);
    }

    [Fact]
    public void A_sender_without_a_phone_number_is_keyed_by_the_business_scoped_user_id()
    {
        var contacts = """[{"profile":{"name":"Kai","username":"kai.k"},"user_id":"US.13491208655302741918"}]""";
        var message = """{"from_user_id":"US.13491208655302741918","id":"wamid.B","timestamp":"1760000000","type":"text","text":{"body":"hi"}}""";
        var m = Assert.Single(WhatsAppPayload.Parse(Guid.NewGuid(), Wa.PhoneNumberId, Encoding.UTF8.GetBytes(Wa.Envelope(contacts, $"[{message}]"))).Batch.Messages);
        Assert.Equal("US.13491208655302741918", m.Contact.ExternalId);
        Assert.Null(m.Contact.Phone);
        Assert.Equal("Kai", m.Contact.Name);
    }

    [Fact]
    public void Every_entry_change_message_and_status_of_a_batch_is_read()
    {
        string Change(string msgs, string statuses) =>
            $$$"""{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"{{{Wa.PhoneNumberId}}}"},"messages":{{{msgs}}},"statuses":{{{statuses}}}}}""";
        var first = Change($"[{Wa.Text("1", "a", 1, "x")},{Wa.Text("2", "b", 2, "y")}]", "[]") + ","
            + Change("[]", $"[{Wa.Status("s1", "sent", 3)},{Wa.Status("s2", "read", 4)}]");
        var second = Change($"[{Wa.Text("3", "c", 5, "z")}]", $"[{Wa.Status("s3", "delivered", 6)}]") + ","
            + """{"field":"account_update","value":{"event":"VERIFIED_ACCOUNT"}}""";
        var body = """{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[""" + first
            + """]},{"id":"2","changes":[""" + second + "]}]}";
        var batch = WhatsAppPayload.Parse(Guid.NewGuid(), Wa.PhoneNumberId, Encoding.UTF8.GetBytes(body)).Batch;
        Assert.Equal(["a", "b", "c"], batch.Messages.Select(m => m.ProviderMessageId));
        Assert.Equal(["s1", "s2", "s3"], batch.Statuses.Select(s => s.ProviderMessageId));
    }

    [Fact]
    public void A_failed_status_keeps_its_error_codes_and_needs_no_pricing_block()
    {
        var errors = """[{"code":131047,"title":"Re-engagement message","error_data":{"details":"more than 24 hours"}}]""";
        var s = Assert.Single(WhatsAppPayload.Parse(Guid.NewGuid(), Wa.PhoneNumberId, Encoding.UTF8.GetBytes(Wa.StatusDelivery(Wa.Status("wamid.F", "failed", 1760200000, errors: errors)))).Batch.Statuses);
        Assert.Equal("failed", s.Status);
        Assert.Contains("131047", s.ErrorJson);
    }

    [Theory]
    [InlineData("""{"object":"page","entry":[]}""")]
    [InlineData("""[1,2]""")]
    [InlineData("""{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"990123456789012"},"messages":[{"from":"1","timestamp":"1","type":"text"}]}}]}]}""")]
    [InlineData("""{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"990123456789012"},"messages":[{"from":"1","id":"x","timestamp":"soon","type":"text"}]}}]}]}""")]
    public void Payloads_that_cannot_be_stored_whole_are_refused(string body) =>
        Assert.Throws<PayloadException>(() => WhatsAppPayload.Parse(Guid.NewGuid(), Wa.PhoneNumberId, Encoding.UTF8.GetBytes(body)));
}
