using Engine.Api.Access;
using Engine.Api.Contacts;
using Engine.Api.Http;
using Engine.Grains.Contacts;
using Engine.Silo.Contacts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Engine.Api.Integrations;

/// <summary>
/// An event from a CRM: <c>conversion</c> (an order paid: amount, currency, orderId, optional conversationId) or
/// <c>contact.update</c> (profile fields). The contact is found by contactId, else phone, else email. eventId makes it idempotent.
/// </summary>
public sealed record CrmEventRequest(string? EventId, string? Type, Guid? ContactId, string? Phone, string? Email,
    decimal? Amount, string? Currency, string? OrderId, DateTimeOffset? At, Guid? ConversationId, ContactRequest? Profile);

public static class CrmApi
{
    public static void MapCrm(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/v1/crm/events", Post).WithTags("Integrations").RequireAuthorization(Permissions.ManageConversations)
            .WithSummary("Inbound CRM events: conversion (adds to lifetime spend, sets the last order, counts in the funnel) and contact.update. 200 with the contact; a repeated eventId changes nothing.");

    private static async Task<Results<Ok<CrmResult>, ValidationProblem, ProblemHttpResult>> Post(CrmEventRequest r, HttpContext http, CustomerDesk crm, CancellationToken ct)
    {
        var v = new Validation()
            .Require(r.EventId is { Length: > 0 and <= 200 }, "eventId", "Required: your id for this event (at most 200 characters).")
            .Require(r.Type is "conversion" or "contact.update", "type", "conversion or contact.update.")
            .Require(r.ContactId is not null || r.Phone is not null || r.Email is not null, "contactId", "Identify the contact by contactId, phone or email.")
            .Require(r.Phone is null || PhoneNumbers.ToE164(r.Phone) is not null, "phone", "A phone number with its country code.")
            .Require(r.Type != "conversion" || r.Amount is > 0, "amount", "A conversion needs a positive amount.")
            .Require(r.Type != "conversion" || r.Currency is { Length: 3 }, "currency", "A conversion needs an ISO 4217 currency code.")
            .Require(r.Type != "contact.update" || r.Profile is not null, "profile", "A contact update needs the profile fields to change.");
        if (!v.IsValid) return v.Problem();
        var p = r.Profile;
        var change = p is null ? null : new ContactChange(p.Name, p.Language, p.Vip, p.DedicatedAgentId, p.ClearDedicatedAgent, p.Email, p.Phone, p.Country,
            p.Attributes, p.Tags, p.LifetimeSpend, p.LastOrder);
        var result = await crm.CrmAsync(http.User.Actor(), new CrmEvent(r.EventId!, r.Type!, r.ContactId, r.Phone, r.Email, r.Amount,
            r.Currency?.ToUpperInvariant(), r.OrderId, r.At, r.ConversationId, change), ct);
        return result is null ? Problems.Of(404, "contact_not_found", "No contact matches contactId, phone or email.") : TypedResults.Ok(result);
    }
}
