using Engine.Grains.Contacts;

namespace Engine.Tests.Grains.Contacts;

public class LanguageGuessTests
{
    [Theory]
    [InlineData("สวัสดีครับ พัสดุของฉันอยู่ไหน", "th")]
    [InlineData("मेरा ऑर्डर कहाँ है", "hi")]
    [InlineData("我的包裹在哪里", "zh")]
    [InlineData("注文はどこですか", "ja")]
    [InlineData("제 주문은 어디에 있나요", "ko")]
    [InlineData("أين طلبي", "ar")]
    [InlineData("Где мой заказ", "ru")]
    [InlineData("Where is my order please", "en")]
    [InlineData("Hola, ¿dónde está mi pedido?", "es")]
    [InlineData("Olá, cadê o meu pedido?", "pt")]
    [InlineData("Bonjour, où est ma commande ?", "fr")]
    [InlineData("Hallo, wo ist meine Bestellung?", "de")]
    [InlineData("Pesanan saya belum sampai", "id")]
    [InlineData("Đơn hàng của tôi ở đâu", "vi")]
    [InlineData("Order 7781 สถานะ อยู่ไหนครับ", "th")]   // a number and a word of English in a Thai message
    public void The_script_or_the_everyday_words_tell_the_language(string text, string language) =>
        Assert.Equal(language, LanguageGuess.Guess(text));

    [Theory]
    [InlineData("ok")]
    [InlineData("👍👍")]
    [InlineData("no")]                       // Spanish, Portuguese or English
    [InlineData("12345 #A-77")]
    [InlineData("")]
    [InlineData("Zalando")]                   // a name says nothing
    public void Too_little_to_tell_is_no_guess(string text) => Assert.Null(LanguageGuess.Guess(text));
}
