// SPDX-License-Identifier: Apache-2.0

package demo

import "github.com/omadata/omadata"

func notices(fiTitle, fiBody, svTitle, svBody, enTitle, enBody string) []omadata.Notice {
	return []omadata.Notice{
		{Language: "fi", Title: fiTitle, Body: fiBody},
		{Language: "sv", Title: svTitle, Body: svBody},
		{Language: "en", Title: enTitle, Body: enBody},
	}
}

func processings() []processingSpec {
	return []processingSpec{
		{service: "espoo-ece", purpose: "statutory-services", groups: []string{"ece-placements", "address-history"},
			d: omadata.ProcessingDraft{
				Code: "ece-placement-on-move",
				Title: text("Varhaiskasvatuspaikan tiedot muutettaessa Espooseen",
					"Uppgifter om plats inom småbarnspedagogiken vid flytt till Esbo",
					"Early childhood education placement when moving to Espoo"),
				Description: text(
					"Kun perhe muuttaa Helsingistä Espooseen, Espoon varhaiskasvatus saa lapsen nykyisen varhaiskasvatuspaikan tiedot sekä perheen osoitetiedot muuttopäivineen, jotta uusi paikka voidaan järjestää ilman katkosta.",
					"När en familj flyttar från Helsingfors till Esbo får småbarnspedagogiken i Esbo uppgifterna om barnets nuvarande plats samt familjens adressuppgifter med flyttdatum, så att en ny plats kan ordnas utan avbrott.",
					"When a family moves from Helsinki to Espoo, Espoo early childhood education receives the child's current placement and the family's address details with the moving date, so that a new place can be arranged without a gap."),
				LegalBasis:     omadata.BasisPublicTask,
				LegalBasisNote: "Varhaiskasvatuslaki (540/2018) – lagen om småbarnspedagogik (540/2018) – Act on Early Childhood Education and Care (540/2018)",
				Retention:      "P10Y",
				Transparency: omadata.Transparency{
					ProvisionRequirement: omadata.ProvisionStatutory,
					ProvisionConsequence: text(
						"Tiedot siirtyvät lain nojalla; sinun ei tarvitse antaa niitä. Ilman niitä Espoo ei voisi järjestää lapsellesi varhaiskasvatuspaikkaa ilman uutta hakemusta, ja paikan saaminen voisi viivästyä.",
						"Uppgifterna överförs med stöd av lag; du behöver inte lämna dem. Utan dem kunde Esbo inte ordna en plats inom småbarnspedagogiken för ditt barn utan en ny ansökan, och platsen kunde dröja.",
						"The data moves under the law; you need not provide it. Without it Espoo could not arrange your child's early childhood education place without a new application, and the place could be delayed."),
				},
				Recipients: []omadata.Recipient{{Name: "Espoon kaupunki", Names: text("Espoon kaupunki", "Esbo stad", "City of Espoo"), Role: omadata.RecipientController}},
			},
			notices: notices(
				"Varhaiskasvatustiedot Espooseen muuton yhteydessä",
				"Espoon kaupunki (kasvun ja oppimisen toimiala) saa Helsingin kaupungilta lapsesi varhaiskasvatuspaikan tiedot – päiväkodin, aloituspäivän, hoitoajan ja varhaiskasvatuksen kielen – sekä osoitetietonne muuttopäivineen, kun perheenne muuttaa Helsingistä Espooseen. "+
					"Tietoja käytetään, jotta lapsellesi voidaan järjestää varhaiskasvatuspaikka Espoossa ilman katkosta. "+
					"Käsittely on tarpeen yleistä etua koskevan tehtävän suorittamiseksi: kunnan lakisääteinen tehtävä on järjestää varhaiskasvatusta (varhaiskasvatuslaki 540/2018; EU:n tietosuoja-asetuksen 6 artiklan 1 kohdan e alakohta). Siksi siihen ei pyydetä suostumustasi. "+
					"Espoo säilyttää tiedot kymmenen vuotta niiden vastaanottamisesta. "+
					"Koska käsittely ei perustu suostumukseen, peruutettavaa suostumusta ei ole, mutta voit vastustaa käsittelyä tai pyytää sen rajoittamista ottamalla yhteyttä Espoon kaupungin tietosuojavastaavaan (tietosuoja@espoo.fi).",
				"Uppgifter om småbarnspedagogik till Esbo vid flytt",
				"Esbo stad (sektorn för tillväxt och lärande) får av Helsingfors stad uppgifterna om ditt barns plats inom småbarnspedagogiken – daghem, startdatum, vårdtid och språk – samt era adressuppgifter med flyttdatum när familjen flyttar från Helsingfors till Esbo. "+
					"Uppgifterna används för att ordna en plats inom småbarnspedagogiken i Esbo utan avbrott. "+
					"Behandlingen är nödvändig för att utföra en uppgift av allmänt intresse: kommunen har en lagstadgad uppgift att ordna småbarnspedagogik (lagen om småbarnspedagogik 540/2018; artikel 6.1 e i EU:s dataskyddsförordning). Därför begärs inte ditt samtycke. "+
					"Esbo sparar uppgifterna i tio år från att de tagits emot. "+
					"Eftersom behandlingen inte grundar sig på samtycke finns det inget samtycke att återkalla, men du kan invända mot behandlingen eller begära att den begränsas genom att kontakta Esbo stads dataskyddsombud (tietosuoja@espoo.fi).",
				"Early childhood education data to Espoo when you move",
				"The City of Espoo (Growth and Learning Sector) receives from the City of Helsinki your child's early childhood education placement – day-care centre, start date, hours of care and language – and your address details with the moving date when your family moves from Helsinki to Espoo. "+
					"The data is used to arrange a place in early childhood education in Espoo without a gap. "+
					"The processing is necessary for a task carried out in the public interest: the municipality's statutory duty to provide early childhood education (Act on Early Childhood Education and Care 540/2018; GDPR Article 6(1)(e)). So your consent is not asked. "+
					"Espoo keeps the data for ten years from receiving it. "+
					"As the processing is not based on consent, there is no consent to withdraw, but you may object to it or ask for it to be restricted by contacting the City of Espoo's data protection officer (tietosuoja@espoo.fi).",
			)},
		{service: "kirjasuositus", purpose: "recommendations", groups: []string{"library-loans"},
			d: omadata.ProcessingDraft{
				Code:  "reading-recommendations",
				Title: text("Kirjasuositukset lainojesi perusteella", "Boktips utifrån dina lån", "Book recommendations from your loans"),
				Description: text(
					"Kirjasuositus Oy saa Helmet-kirjastolainasi ja ehdottaa niiden perusteella uusia kirjoja.",
					"Kirjasuositus Oy får dina lån från Helmet-biblioteken och föreslår nya böcker utifrån dem.",
					"Kirjasuositus Oy receives your Helmet library loans and suggests new books based on them."),
				LegalBasis: omadata.BasisConsent,
				Retention:  "P1Y",
				Transparency: omadata.Transparency{
					ProvisionRequirement: omadata.ProvisionVoluntary,
					ProvisionConsequence: text(
						"Jos et anna suostumusta, et saa kirjasuosituksia. Kirjaston palvelut toimivat kuten ennenkin.",
						"Om du inte ger ditt samtycke får du inga boktips. Bibliotekets tjänster fungerar som förut.",
						"If you do not consent, you get no book recommendations. The library's services work as before."),
				},
				Recipients: []omadata.Recipient{{Name: "Kirjasuositus Oy", Names: text("Kirjasuositus Oy", "Kirjasuositus Oy", "Kirjasuositus Oy"), Role: omadata.RecipientController}},
			},
			notices: notices(
				"Kirjasuositukset Helmet-lainojesi perusteella",
				"Kirjasuositus Oy saa suostumuksellasi tiedot Helmet-kirjastoista lainaamistasi ja varaamistasi kirjoista sekä lainahistoriastasi. "+
					"Yhtiö käyttää tietoja ehdottaakseen sinulle uusia kirjoja ja muuta kirjaston aineistoa, joka voisi kiinnostaa sinua. "+
					"Käsittely perustuu suostumukseesi (EU:n tietosuoja-asetuksen 6 artiklan 1 kohdan a alakohta). Tietoja ei luovuteta eteenpäin eikä käytetä markkinointiin. "+
					"Kirjasuositus Oy säilyttää tiedot enintään vuoden viimeisestä päivityksestä ja poistaa ne, kun peruutat suostumuksesi. "+
					"Voit peruuttaa suostumuksesi milloin tahansa OmaData-palvelussa; peruutus ei vaikuta sitä ennen tehdyn käsittelyn lainmukaisuuteen.",
				"Boktips utifrån dina lån på Helmet",
				"Kirjasuositus Oy får med ditt samtycke uppgifter om böcker som du har lånat och reserverat på Helmet-biblioteken samt din lånehistorik. "+
					"Företaget använder uppgifterna för att föreslå nya böcker och annat biblioteksmaterial som kan intressera dig. "+
					"Behandlingen grundar sig på ditt samtycke (artikel 6.1 a i EU:s dataskyddsförordning). Uppgifterna lämnas inte vidare och används inte för marknadsföring. "+
					"Kirjasuositus Oy sparar uppgifterna högst ett år från den senaste uppdateringen och raderar dem när du återkallar ditt samtycke. "+
					"Du kan när som helst återkalla ditt samtycke i MinData-tjänsten; återkallandet påverkar inte lagligheten i behandlingen innan dess.",
				"Book recommendations from your Helmet loans",
				"With your consent, Kirjasuositus Oy receives the books you have borrowed and reserved at Helmet libraries, and your loan history. "+
					"The company uses the data to suggest new books and other library material that may interest you. "+
					"The processing rests on your consent (GDPR Article 6(1)(a)). The data is not passed on and is not used for marketing. "+
					"Kirjasuositus Oy keeps the data for at most one year from the last update and deletes it when you withdraw your consent. "+
					"You can withdraw your consent at any time in the MyData service; withdrawal does not affect processing done before it.",
			)},
		{service: "wellbeing-study", purpose: "research", groups: []string{"wellbeing-measurements"},
			d: omadata.ProcessingDraft{
				Code: "wellbeing-indicators",
				Title: text("Hyvinvointi-indikaattorit kaupunkilaisten mittauksista",
					"Välbefinnandeindikatorer från invånarnas mätningar",
					"Wellbeing indicators from residents' measurements"),
				Description: text(
					"Tutkimuslaitos laskee osallistujien hyvinvointimittauksista alueellisia hyvinvointi-indikaattoreita ja julkaisee ne tilastoina.",
					"Forskningsinstitutet beräknar regionala välbefinnandeindikatorer från deltagarnas mätningar och publicerar dem som statistik.",
					"The institute computes regional wellbeing indicators from participants' measurements and publishes them as statistics."),
				LegalBasis:    omadata.BasisConsent,
				Art9Condition: "A9-2-a",
				Retention:     "P5Y",
				Transparency: omadata.Transparency{
					ProvisionRequirement: omadata.ProvisionVoluntary,
					ProvisionConsequence: text(
						"Jos et anna suostumusta, mittauksiasi ei käytetä tutkimukseen. Se ei vaikuta terveyspalveluihisi.",
						"Om du inte ger ditt samtycke används dina mätningar inte för forskning. Det påverkar inte dina hälsotjänster.",
						"If you do not consent, your measurements are not used for research. It does not affect your health services."),
				},
				Recipients: []omadata.Recipient{{Name: "Kaupunkihyvinvoinnin tutkimuslaitos", Role: omadata.RecipientController,
					Names: text("Kaupunkihyvinvoinnin tutkimuslaitos", "Forskningsinstitutet för urbant välbefinnande", "Institute for Urban Wellbeing Research")}},
			},
			notices: notices(
				"Hyvinvointimittauksesi tutkimuskäyttöön",
				"Kaupunkihyvinvoinnin tutkimuslaitos saa nimenomaisella suostumuksellasi Helsingin kaupungin tallentamat hyvinvointimittauksesi: verenpaineen, painon, pituuden, leposykkeen ja päivittäiset askeleet mittauspäivineen. Ne ovat terveystietoja eli erityisiin henkilötietoryhmiin kuuluvia tietoja. "+
					"Tutkimuslaitos laskee niistä yhdessä muiden osallistujien tietojen kanssa alueellisia hyvinvointi-indikaattoreita; tulokset julkaistaan vain tilastoina, joista ketään ei voi tunnistaa. "+
					"Käsittely perustuu nimenomaiseen suostumukseesi (EU:n tietosuoja-asetuksen 6 artiklan 1 kohdan a alakohta ja 9 artiklan 2 kohdan a alakohta). "+
					"Tiedot säilytetään pseudonymisoituina viisi vuotta, minkä jälkeen ne hävitetään. "+
					"Voit peruuttaa suostumuksesi milloin tahansa OmaData-palvelussa. Silloin tietojasi ei enää luovuteta, ja jo luovutetut tiedot poistetaan tutkimusaineistosta, ellei niitä ole jo yhdistetty tilastoihin.",
				"Dina välbefinnandemätningar för forskning",
				"Forskningsinstitutet för urbant välbefinnande får med ditt uttryckliga samtycke de välbefinnandemätningar som Helsingfors stad har sparat om dig: blodtryck, vikt, längd, vilopuls och dagliga steg med mätdatum. De är hälsouppgifter, alltså särskilda kategorier av personuppgifter. "+
					"Institutet beräknar regionala välbefinnandeindikatorer av dem tillsammans med andra deltagares uppgifter; resultaten publiceras endast som statistik där ingen kan identifieras. "+
					"Behandlingen grundar sig på ditt uttryckliga samtycke (artikel 6.1 a och artikel 9.2 a i EU:s dataskyddsförordning). "+
					"Uppgifterna sparas pseudonymiserade i fem år och förstörs därefter. "+
					"Du kan när som helst återkalla ditt samtycke i MinData-tjänsten. Då lämnas dina uppgifter inte längre ut, och uppgifter som redan lämnats ut tas bort ur forskningsmaterialet om de inte redan ingår i sammanställd statistik.",
				"Your wellbeing measurements for research",
				"With your explicit consent, the Institute for Urban Wellbeing Research receives the wellbeing measurements the City of Helsinki holds about you: blood pressure, weight, height, resting heart rate and daily steps, with the dates measured. This is health data, a special category of personal data. "+
					"Together with other participants' data, the institute computes regional wellbeing indicators; results are published only as statistics from which no one can be identified. "+
					"The processing rests on your explicit consent (GDPR Articles 6(1)(a) and 9(2)(a)). "+
					"The data is kept pseudonymised for five years and then destroyed. "+
					"You can withdraw your consent at any time in the MyData service. Your data is then no longer disclosed, and data already disclosed is removed from the research material unless it is already part of compiled statistics.",
			)},
	}
}

func aiSystems() []aiSpec {
	return []aiSpec{
		{key: "helmet-assistant", org: "helsinki-culture", groups: []string{"library-loans"}, a: omadata.AISystem{
			Name: text("Helmet-kirjastojen suosittelija", "Helmet-bibliotekens rekommendationsassistent", "Helmet library recommendation assistant"),
			Description: text(
				"Keskusteleva avustaja Helmet-verkkokirjastossa. Se ehdottaa kirjoja ja muuta aineistoa asiakkaan kuvauksen ja, asiakkaan suostumuksella, lainahistorian perusteella.",
				"En samtalsassistent i Helmet-webbiblioteket. Den föreslår böcker och annat material utifrån kundens beskrivning och, med kundens samtycke, lånehistoriken.",
				"A conversational assistant in the Helmet online library. It suggests books and other material from the customer's description and, with the customer's consent, their loan history."),
			Purpose: text(
				"Auttaa asiakkaita löytämään kiinnostavaa luettavaa kirjaston kokoelmista.",
				"Hjälper kunderna att hitta intressant läsning i bibliotekets samlingar.",
				"Helps customers find interesting reading in the library's collections."),
			LegalBasis: omadata.BasisConsent,
			HumanOversight: text(
				"Kirjaston henkilökunta tarkastaa avustajan vastauksia kuukausittain otannalla ja voi poistaa avustajan käytöstä. Suositukset ovat vain ehdotuksia: asiakas päättää itse, mitä lainaa, eikä avustaja tee asiakasta koskevia päätöksiä.",
				"Bibliotekspersonalen granskar assistentens svar varje månad genom stickprov och kan stänga av assistenten. Rekommendationerna är bara förslag: kunden bestämmer själv vad hen lånar, och assistenten fattar inga beslut om kunden.",
				"Library staff review the assistant's answers monthly by sampling and can switch it off. Recommendations are only suggestions: customers decide what to borrow, and the assistant makes no decisions about them."),
			RiskLevel: "limited",
			Status:    "in_use",
			Contact:   omadata.Contact{Name: "Laura Mattila", Email: "tietosuoja@hel.fi"},
		}},
		{key: "espoo-placement-planning", org: "espoo-growth-learning",
			processings: []string{"ece-placement-on-move"}, groups: []string{"ece-placements", "address-history"}, a: omadata.AISystem{
				Name: text("Varhaiskasvatuksen paikkasuunnittelun tuki", "Planeringsstöd för platser inom småbarnspedagogiken",
					"Early childhood education placement planning support"),
				Description: text(
					"Ennustaa päiväkotien paikkatarvetta ja ehdottaa hakijalle sopivia varhaiskasvatuspaikkoja kotiosoitteen, perheen toiveiden ja vapaiden paikkojen perusteella.",
					"Förutser behovet av platser i daghemmen och föreslår lämpliga platser för sökande utifrån hemadress, familjens önskemål och lediga platser.",
					"Forecasts demand for day-care places and suggests suitable placements for applicants from their home address, the family's wishes and free places."),
				Purpose: text(
					"Nopeuttaa varhaiskasvatuspaikan järjestämistä ja tasata päiväkotien kuormitusta.",
					"Påskyndar ordnandet av platser inom småbarnspedagogiken och jämnar ut belastningen mellan daghemmen.",
					"Speeds up arranging placements and balances the load between day-care centres."),
				LegalBasis: omadata.BasisPublicTask,
				HumanOversight: text(
					"Järjestelmä antaa vain ehdotuksia. Varhaiskasvatuksen palveluohjaaja tekee jokaisen sijoituspäätöksen ja voi poiketa ehdotuksesta, ja perhe voi tehdä päätöksestä oikaisuvaatimuksen. Ehdotusten tasapuolisuutta seurataan neljännesvuosittain.",
					"Systemet ger endast förslag. En servicehandledare inom småbarnspedagogiken fattar varje placeringsbeslut och kan avvika från förslaget, och familjen kan begära omprövning av beslutet. Förslagens jämlikhet följs upp varje kvartal.",
					"The system only makes suggestions. An early childhood education service adviser makes every placement decision and may depart from the suggestion, and the family may ask for the decision to be reviewed. The fairness of the suggestions is monitored quarterly."),
				RiskLevel: "high",
				Status:    "planned",
				Contact:   omadata.Contact{Name: "Mikael Nyström", Email: "tietosuoja@espoo.fi"},
			}},
	}
}
